//! A size probe, not an example of use: a cdylib whose one export drives every input kind
//! through a [`UserAgent`] with a frame read from memory, so no code path can be optimised
//! away. Measure the crate's share of a wasm bundle with
//!
//! ```sh
//! CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_LTO=true \
//! CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_PANIC=abort \
//!   cargo build --manifest-path sip/Cargo.toml --release --target wasm32-unknown-unknown --example size_probe
//! wasm-opt -Oz sip/target/wasm32-unknown-unknown/release/examples/size_probe.wasm -o probe.wasm
//! gzip -9 -c probe.wasm | wc -c
//! ```
//!
//! (the toolbar's release profile, passed as variables so this crate needs no profile of its
//! own once it is a workspace member).

use agentbar_sip::{CallId, Command, Config, Input, TimerId, UserAgent};

/// Runs a register + call sequence with `frame` as every received message.
///
/// # Safety
///
/// `ptr` must point to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn sip_probe(seed: u64, ptr: *const u8, len: usize) -> usize {
    // SAFETY: the caller promises `len` readable bytes at `ptr`.
    let bytes = unsafe { core::slice::from_raw_parts(ptr, len) };
    let frame = core::str::from_utf8(bytes).unwrap_or("");
    let mut ua = UserAgent::new(Config::new("sip:1001@pbx.example.com", "secret"), seed);
    let call = CallId(seed as u32);
    let sdp = String::from(frame);
    let inputs = [
        Input::Connected,
        Input::Command(Command::Register),
        Input::Frame(frame),
        Input::Command(Command::Call { target: "1002".into(), sdp_offer: sdp.clone(), headers: Vec::new() }),
        Input::Frame(frame),
        Input::Command(Command::Answer { call, sdp_answer: sdp.clone() }),
        Input::Command(Command::Hold { call, sdp: sdp.clone() }),
        Input::Command(Command::Resume { call, sdp: sdp.clone() }),
        Input::Command(Command::Renegotiate { call, sdp }),
        Input::Command(Command::SendInfoDtmf { call, digit: '5', duration_ms: 160 }),
        Input::Command(Command::Reject { call, code: 486 }),
        Input::Command(Command::Hangup { call }),
        Input::Timer(TimerId(seed as u32)),
        Input::Command(Command::Unregister),
        Input::Disconnected,
    ];
    inputs.into_iter().map(|input| ua.handle(input, seed).len()).sum()
}
