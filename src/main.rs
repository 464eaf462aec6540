//! wasm entry point: installs the panic hook and mounts the toolbar.

#[cfg(target_arch = "wasm32")]
fn main() {
    agentbar::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("agentbar runs in the browser: build it with `trunk build` (see README.md).");
}
