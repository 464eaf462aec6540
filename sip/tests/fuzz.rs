#![cfg(not(target_arch = "wasm32"))]
//! Hostile input: arbitrary and mutated frames through the parser, and random sequences of
//! frames, commands, timers and socket events through the user agent. The properties: never
//! panic; whatever parses serializes to something that parses the same; every frame the UA
//! sends parses; no timer is set in the past. `PROPTEST_CASES` bounds the run.

mod common;

use agentbar_sip::{CallId, Command, Config, Input, Message, Output, TimerId, UserAgent};
use common::*;
use proptest::prelude::*;

/// Real frames to mutate.
fn corpus() -> Vec<String> {
    let inv = kamailio_invite("fz-1", RTPENGINE_SDP);
    let ok = "SIP/2.0 200 OK\r\nVia: SIP/2.0/WSS 203.0.113.10:8443;branch=z9hG4bK1\r\n\
        From: <sip:a@b>;tag=1\r\nTo: <sip:1001@pbx.example.com>;tag=zz\r\nCall-ID: fz-1\r\nCSeq: 102 INVITE\r\n\
        Content-Length: 0\r\n\r\n";
    let challenge = "SIP/2.0 401 Unauthorized\r\nv: SIP/2.0/WSS x.invalid;branch=z9hG4bKq\r\nf: <sip:1001@p>;tag=a\r\n\
        t: <sip:1001@p>;tag=b\r\ni: r1\r\nCSeq: 1 REGISTER\r\n\
        WWW-Authenticate: Digest realm=\"p\", nonce=\"n\\\"x\", qop=\"auth,auth-int\", opaque=\"o\", stale=true\r\nl: 0\r\n\r\n";
    vec![inv, ok.into(), challenge.into()]
}

/// Characters that matter to the grammar, and some that should not appear.
const INTERESTING: &[char] =
    &[':', ';', ',', '"', '\\', '<', '>', '=', ' ', '\t', '\r', '\n', '0', '9', '@', '/', 'é', '\u{0}', '€'];

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, char),
    Insert(usize, char),
    Delete(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let c = prop_oneof![prop::sample::select(INTERESTING), any::<char>()];
    prop_oneof![
        (any::<usize>(), c.clone()).prop_map(|(i, c)| Mutation::Replace(i, c)),
        (any::<usize>(), c).prop_map(|(i, c)| Mutation::Insert(i, c)),
        (any::<usize>(), 1usize..40).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(frame: &str, muts: &[Mutation]) -> String {
    let mut chars: Vec<char> = frame.chars().collect();
    for m in muts {
        let len = chars.len().max(1);
        match *m {
            Mutation::Replace(i, c) if !chars.is_empty() => chars[i % len] = c,
            Mutation::Insert(i, c) => chars.insert(i % (chars.len() + 1), c),
            Mutation::Delete(i, n) if !chars.is_empty() => {
                let start = i % len;
                chars.drain(start..(start + n).min(chars.len()));
            }
            Mutation::Truncate(i) => chars.truncate(i % (chars.len() + 1)),
            _ => {}
        }
    }
    chars.into_iter().collect()
}

fn check_round_trip(frame: &str) {
    if let Ok(m) = Message::parse(frame) {
        let text = m.to_text();
        let again = Message::parse(&text).unwrap_or_else(|e| panic!("{e}: {text:?} from {frame:?}"));
        // Equal but for the Content-Length that serializing adds when there was none.
        assert_eq!(
            (again.start, again.body, again.via, again.from, again.to, again.call_id, again.cseq),
            (m.start, m.body, m.via, m.from, m.to, m.call_id, m.cseq)
        );
        assert_eq!(&again.headers[..m.headers.len()], &m.headers[..]);
        assert_eq!(again.to_text(), text);
        let _ = (m.challenge(), m.contacts().count(), m.expires(), m.content_type(), m.list("Route").count());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,400}") {
        check_round_trip(&s);
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..400)) {
        check_round_trip(&String::from_utf8_lossy(&b));
    }

    #[test]
    fn mutated_messages_never_panic(which in 0usize..3, muts in prop::collection::vec(mutation(), 1..8)) {
        let frame = mutate(&corpus()[which], &muts);
        check_round_trip(&frame);
        // And through user agents in a few states.
        for mut h in [Harness::new(), registered_with_calls()] {
            let out = h.frame(&frame);
            check_outputs(&out.0, h.now);
        }
    }

    #[test]
    fn header_value_parsers_never_panic(s in ".{0,120}") {
        let _ = agentbar_sip::hdr::Via::parse(&s);
        let _ = agentbar_sip::hdr::NameAddr::parse(&s);
        let _ = agentbar_sip::hdr::CSeq::parse(&s);
        if let Ok(ch) = agentbar_sip::hdr::Challenge::parse(&s) {
            let r = agentbar_sip::digest::DigestRequest {
                username: "u", password: "p", method: "INVITE", uri: "sip:x@y", body: "", cnonce: "c", nc: 1,
            };
            let _ = agentbar_sip::digest::authorization(&ch, &r);
        }
        let _ = agentbar_sip::hdr::list(&s).count();
        let _ = (agentbar_sip::hdr::uri_user(&s), agentbar_sip::hdr::uri_host(&s), agentbar_sip::hdr::uri_param(&s, "lr"));
        let _ = agentbar_sip::sdp::set_direction(&s, agentbar_sip::sdp::Direction::Inactive);
        let _ = agentbar_sip::sdp::bump_version(&s);
        let _ = agentbar_sip::sdp::direction(&s);
    }

    #[test]
    fn random_sequences_keep_the_ua_sane(ops in prop::collection::vec(op(), 1..60)) {
        let mut h = Harness::new();
        let mut sent: Vec<String> = Vec::new();
        let mut incoming_ok: Option<String> = None;
        let inv = kamailio_invite("seq-1", RTPENGINE_SDP);
        for op in ops {
            let before = h.now;
            let out = match op {
                Op::Connect => h.step(Input::Connected),
                Op::Disconnect => h.step(Input::Disconnected),
                Op::Advance(ms) => h.advance(ms),
                Op::StaleTimer(n) => h.step(Input::Timer(TimerId(n))),
                Op::Cmd(c) => h.cmd(c),
                Op::Reply { pick, code, tag, extra, muts } => {
                    let Some(req) = sent.iter().rev().nth(pick % sent.len().max(1)).cloned() else { continue };
                    let (reason, extra) = EXTRAS[extra % EXTRAS.len()];
                    let body = if extra.contains("application/sdp") { RTPENGINE_SDP } else { "" };
                    let r = reply(&req, code, reason, tag.then_some("far"), extra, body);
                    h.frame(&mutate(&r, &muts))
                }
                Op::Remote { method, cseq, muts } => {
                    let frame = match (method, &incoming_ok) {
                        (0, _) => inv.clone(),
                        (m, Some(ok)) => {
                            let name = ["ACK", "BYE", "INVITE", "INFO", "OPTIONS", "CANCEL", "UPDATE"][(m as usize - 1) % 7];
                            let body = match name { "INVITE" => RTPENGINE_SDP, "INFO" => "Signal=5\r\nDuration=160\r\n", _ => "" };
                            in_dialog_request(name, &inv, ok, cseq, body)
                        }
                        _ => inv.clone(),
                    };
                    h.frame(&mutate(&frame, &muts))
                }
            };
            check_outputs(&out.0, before);
            for f in out.frames() {
                if f.starts_with("SIP/2.0 200") && f.contains("CSeq: 102 INVITE") {
                    incoming_ok = Some(f.clone());
                }
                if !f.starts_with("SIP/2.0") {
                    sent.push(f);
                }
            }
            if sent.len() > 20 {
                sent.drain(..10);
            }
        }
    }
}

/// Status lines and headers for replies.
const EXTRAS: &[(&str, &str)] = &[
    ("OK", "Contact: <sip:far@10.0.0.9>;expires=60\r\nRecord-Route: <sip:10.0.0.1;lr>\r\nContent-Type: application/sdp\r\n"),
    ("Unauthorized", "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", qop=\"auth\"\r\n"),
    ("Proxy Authentication Required", "Proxy-Authenticate: Digest realm=\"r\", nonce=\"n2\", stale=true\r\n"),
    ("Interval Too Brief", "Min-Expires: 1800\r\n"),
    ("Whatever", ""),
];

#[derive(Debug, Clone)]
enum Op {
    Connect,
    Disconnect,
    Advance(u64),
    StaleTimer(u32),
    Cmd(Command),
    Reply { pick: usize, code: u16, tag: bool, extra: usize, muts: Vec<Mutation> },
    Remote { method: u8, cseq: u32, muts: Vec<Mutation> },
}

fn command() -> impl Strategy<Value = Command> {
    let call = (0u32..12).prop_map(CallId);
    let sdp = prop_oneof![Just(CHROME_OFFER.to_string()), Just(String::new()), ".{0,30}"];
    prop_oneof![
        Just(Command::Register),
        Just(Command::Unregister),
        (prop_oneof![Just("1002".to_string()), ".{0,20}"], sdp.clone()).prop_map(|(target, sdp_offer)| {
            Command::Call { target, sdp_offer, headers: vec![("X-A".into(), "1".into())] }
        }),
        (call.clone(), sdp.clone()).prop_map(|(call, sdp_answer)| Command::Answer { call, sdp_answer }),
        (call.clone(), 0u16..800).prop_map(|(call, code)| Command::Reject { call, code }),
        call.clone().prop_map(|call| Command::Hangup { call }),
        (call.clone(), sdp.clone()).prop_map(|(call, sdp)| Command::Hold { call, sdp }),
        (call.clone(), sdp.clone()).prop_map(|(call, sdp)| Command::Resume { call, sdp }),
        (call.clone(), sdp).prop_map(|(call, sdp)| Command::Renegotiate { call, sdp }),
        (call, any::<char>(), 0u32..5000).prop_map(|(call, digit, duration_ms)| Command::SendInfoDtmf {
            call,
            digit,
            duration_ms
        }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let muts = prop_oneof![3 => Just(Vec::new()), 1 => prop::collection::vec(mutation(), 1..4)];
    prop_oneof![
        1 => Just(Op::Connect),
        1 => Just(Op::Disconnect),
        2 => prop_oneof![0u64..3000, 30_000u64..700_000].prop_map(Op::Advance),
        1 => (0u32..200).prop_map(Op::StaleTimer),
        4 => command().prop_map(Op::Cmd),
        6 => (any::<usize>(), prop_oneof![Just(100u16), Just(180), Just(200), Just(401), Just(407), Just(423), Just(481), Just(486), Just(487), Just(491), 100u16..700], any::<bool>(), any::<usize>(), muts.clone())
            .prop_map(|(pick, code, tag, extra, muts)| Op::Reply { pick, code, tag, extra, muts }),
        4 => (0u8..8, 100u32..110, muts).prop_map(|(method, cseq, muts)| Op::Remote { method, cseq, muts }),
    ]
}

fn registered_with_calls() -> Harness {
    let mut h = Harness::new();
    h.registered();
    h.outgoing_established();
    let inv = kamailio_invite("fz-1", RTPENGINE_SDP);
    h.frame(&inv);
    h
}

fn check_outputs(out: &[Output], now: u64) {
    for o in out {
        match o {
            Output::Send(f) => {
                Message::parse(f).unwrap_or_else(|e| panic!("the UA sent an unparseable frame ({e}):\n{f}"));
            }
            Output::SetTimer { at_ms, .. } => assert!(*at_ms >= now),
            _ => {}
        }
    }
}

#[test]
fn ua_survives_a_stream_of_garbage() {
    let mut ua = UserAgent::new(Config::new("sip:1001@pbx.example.com", "x"), 7);
    ua.handle(Input::Connected, 0);
    let mut rng = agentbar_sip::Rng::new(99);
    for i in 0..2_000u64 {
        let len = rng.below(300) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
        let out = ua.handle(Input::Frame(&String::from_utf8_lossy(&bytes)), i);
        check_outputs(&out, i);
    }
}
