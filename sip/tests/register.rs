//! Registration sequences against a Kamailio-style registrar.

mod common;

use agentbar_sip::{Command, Config, Event, Input, Message, Output};
use common::*;

const KAMAILIO_CHALLENGE: &str =
    r#"Digest realm="pbx.example.com", nonce="Zk3T1WZN0qnJ0q1hQ2Gm3n0yq7o8Zk3T", qop="auth""#;

#[test]
fn register_with_challenge_then_refresh() {
    let mut h = Harness::new();
    assert!(h.step(Input::Connected).0.is_empty());
    let reg = h.cmd(Command::Register).one_frame();
    let m = Message::parse(&reg).unwrap();
    assert_eq!(start_line(&reg), "REGISTER sip:pbx.example.com SIP/2.0");
    assert!(m.via.sent_by.ends_with(".invalid") && m.via.transport == "WSS");
    assert!(m.via.branch().unwrap().starts_with("z9hG4bK"));
    assert_eq!(m.to.uri, AOR);
    assert_eq!(m.from.uri, AOR);
    assert!(m.from.tag().is_some());
    assert_eq!(m.cseq.seq, 1);
    assert_eq!(m.expires(), Some(600));
    let contact = m.contacts().next().unwrap();
    assert!(contact.uri.ends_with(".invalid;transport=ws"), "{}", contact.uri);
    assert_eq!(contact.param("reg-id"), Some("1"));
    assert!(contact.param("+sip.instance").unwrap().starts_with("<urn:uuid:"));
    assert_eq!(contact.param("expires"), Some("600"));
    assert!(m.header("Authorization").is_none());
    assert!(m.header("Supported").unwrap().contains("outbound"));

    // 401 → the same REGISTER again with credentials: same Call-ID, next CSeq, new branch.
    let s = h.frame(&reply(
        &reg,
        401,
        "Unauthorized",
        Some("kam1"),
        &hdr("WWW-Authenticate", KAMAILIO_CHALLENGE),
        "",
    ));
    assert!(s.events().is_empty());
    let again = s.one_frame();
    let a = Message::parse(&again).unwrap();
    assert_eq!(a.call_id, m.call_id);
    assert_eq!(a.cseq.seq, 2);
    assert_ne!(a.via.branch(), m.via.branch());
    let auth = a.header("Authorization").unwrap();
    assert!(auth.contains(r#"username="1001""#) && auth.contains(r#"uri="sip:pbx.example.com""#), "{auth}");
    assert!(auth.contains("qop=auth") && auth.contains("nc=00000001"), "{auth}");
    let (sent, expected) = expected_response(auth, "REGISTER", PASSWORD);
    assert_eq!(sent, expected);

    // 200 with our binding among others: its expires wins; refresh at 90%.
    let s = h.frame(&reply(&again, 200, "OK", Some("kam1"), &contact_of(&again, 300), ""));
    assert_eq!(s.events(), vec![Event::Registered { expires: 300 }]);
    assert!(h.ua.is_registered());
    let refresh_at =
        s.0.iter().find_map(|o| if let Output::SetTimer { at_ms, .. } = o { Some(*at_ms) } else { None });
    assert_eq!(refresh_at, Some(h.now + 270_000));

    // The refresh re-uses the challenge (nc 2) and keeps Call-ID and Contact.
    assert!(h.advance(269_999).0.is_empty());
    let refresh = h.advance(1).one_frame();
    let r = Message::parse(&refresh).unwrap();
    assert_eq!((r.call_id, r.cseq.seq), (m.call_id, 3));
    assert_eq!(r.header("Contact"), m.header("Contact"));
    let auth = r.header("Authorization").unwrap();
    assert!(auth.contains("nc=00000002"), "{auth}");
    let (sent, expected) = expected_response(auth, "REGISTER", PASSWORD);
    assert_eq!(sent, expected);
    let s = h.frame(&reply(&refresh, 200, "OK", Some("kam1"), &contact_of(&refresh, 300), ""));
    assert_eq!(s.events(), vec![Event::Registered { expires: 300 }]);
}

#[test]
fn stale_nonce_on_refresh_is_answered() {
    let mut h = Harness::new();
    h.registered();
    let refresh = h.advance(540_000).one_frame();
    let stale = r#"Digest realm="pbx.example.com", nonce="fresh-nonce", qop="auth", stale=true"#;
    let again = h
        .frame(&reply(&refresh, 401, "Unauthorized", Some("k"), &hdr("WWW-Authenticate", stale), ""))
        .one_frame();
    let auth = header(&again, "Authorization");
    assert!(auth.contains(r#"nonce="fresh-nonce""#) && auth.contains("nc=00000001"), "{auth}");
    let s = h.frame(&reply(&again, 200, "OK", Some("k"), &contact_of(&again, 600), ""));
    assert_eq!(s.events(), vec![Event::Registered { expires: 600 }]);
}

#[test]
fn wrong_password_fails_after_one_answer() {
    let mut h = Harness::new();
    h.step(Input::Connected);
    let reg = h.cmd(Command::Register).one_frame();
    let again = h
        .frame(&reply(&reg, 401, "Unauthorized", Some("k"), &hdr("WWW-Authenticate", KAMAILIO_CHALLENGE), ""))
        .one_frame();
    // Kamailio mints a new nonce for every challenge: that must not loop.
    let other = r#"Digest realm="pbx.example.com", nonce="another-one", qop="auth""#;
    let s = h.frame(&reply(&again, 401, "Unauthorized", Some("k"), &hdr("WWW-Authenticate", other), ""));
    assert!(s.frames().is_empty());
    assert_eq!(s.events(), vec![Event::RegistrationFailed { code: 401, reason: "Unauthorized".into() }]);
    assert!(!h.ua.is_registered());
}

#[test]
fn proxy_challenge_and_forbidden() {
    let mut h = Harness::new();
    h.step(Input::Connected);
    let reg = h.cmd(Command::Register).one_frame();
    let again = h
        .frame(&reply(
            &reg,
            407,
            "Proxy Authentication Required",
            None,
            &hdr("Proxy-Authenticate", KAMAILIO_CHALLENGE),
            "",
        ))
        .one_frame();
    assert!(header(&again, "Proxy-Authorization").starts_with("Digest username=\"1001\""));
    let s = h.frame(&reply(&again, 403, "Forbidden", Some("k"), "", ""));
    assert_eq!(s.events(), vec![Event::RegistrationFailed { code: 403, reason: "Forbidden".into() }]);
}

#[test]
fn interval_too_brief_raises_expires() {
    let mut cfg = Config::new(AOR, PASSWORD);
    cfg.expires = 60;
    let mut h = Harness::with_config(cfg);
    h.step(Input::Connected);
    let reg = h.cmd(Command::Register).one_frame();
    assert_eq!(header(&reg, "Expires"), "60");
    let again = h
        .frame(&reply(&reg, 423, "Interval Too Brief", Some("k"), &hdr("Min-Expires", "120"), ""))
        .one_frame();
    assert_eq!(header(&again, "Expires"), "120");
    let s = h.frame(&reply(&again, 200, "OK", Some("k"), "Expires: 120\r\n", ""));
    assert_eq!(s.events(), vec![Event::Registered { expires: 120 }]);
}

#[test]
fn unregister_sends_expires_zero_and_stops_refreshing() {
    let mut h = Harness::new();
    h.registered();
    let un = h.cmd(Command::Unregister).one_frame();
    assert_eq!(header(&un, "Expires"), "0");
    assert!(header(&un, "Contact").ends_with(";expires=0"));
    assert!(header(&un, "Authorization").contains("nc=00000002"));
    let s = h.frame(&reply(&un, 200, "OK", Some("k"), "", ""));
    assert_eq!(s.events(), vec![Event::Unregistered]);
    assert!(!h.ua.is_registered());
    assert!(h.timers.is_empty(), "refresh timer cancelled: {:?}", h.timers);
    assert!(h.advance(3_600_000).0.is_empty());
}

#[test]
fn socket_loss_then_reconnect_registers_again() {
    let mut h = Harness::new();
    let last = h.registered();
    let s = h.step(Input::Disconnected);
    assert_eq!(s.events(), vec![Event::RegistrationFailed { code: 503, reason: "Connection lost".into() }]);
    assert!(h.timers.is_empty());
    assert!(!h.ua.is_registered());
    // Commands while the socket is down send nothing.
    assert!(h.cmd(Command::Register).frames().is_empty());
    let reg = h.step(Input::Connected).one_frame();
    let (a, b) = (Message::parse(&last).unwrap(), Message::parse(&reg).unwrap());
    assert_eq!(a.call_id, b.call_id);
    assert_eq!(b.cseq.seq, a.cseq.seq + 1);
    assert_eq!(
        a.header("Contact"),
        b.header("Contact"),
        "same instance and contact: the binding is replaced"
    );
    let s = h.frame(&reply(&reg, 200, "OK", Some("k"), &contact_of(&reg, 600), ""));
    assert_eq!(s.events(), vec![Event::Registered { expires: 600 }]);
}

#[test]
fn register_timeout_is_408() {
    let mut h = Harness::new();
    h.step(Input::Connected);
    h.cmd(Command::Register).one_frame();
    assert!(h.advance(31_999).0.is_empty());
    let s = h.advance(1);
    assert_eq!(s.events(), vec![Event::RegistrationFailed { code: 408, reason: "Request Timeout".into() }]);
}

#[test]
fn responses_of_other_transactions_are_ignored() {
    let mut h = Harness::new();
    h.step(Input::Connected);
    let reg = h.cmd(Command::Register).one_frame();
    let forged = reply(&reg, 200, "OK", Some("k"), "", "").replace("branch=z9hG4bK", "branch=z9hG4bKx");
    assert!(h.frame(&forged).0.is_empty());
    let provisional = reply(&reg, 100, "Trying", None, "", "");
    assert!(h.frame(&provisional).0.is_empty());
}

#[test]
fn configured_identity_appears_in_requests() {
    let mut cfg = Config::new(AOR, PASSWORD);
    cfg.display_name = Some("Agent \"1001\"".into());
    cfg.auth_user = "agent-1001".into();
    cfg.registrar = "sip:registrar.example.com".into();
    cfg.instance_id = "urn:uuid:00000000-0000-4000-8000-000000000001".into();
    cfg.outbound_proxy = "<sip:edge.example.com;transport=ws;lr>".into();
    cfg.secure = false;
    cfg.user_agent = "agentbar/0.1".into();
    let mut h = Harness::with_config(cfg);
    h.step(Input::Connected);
    let reg = h.cmd(Command::Register).one_frame();
    let m = Message::parse(&reg).unwrap();
    assert_eq!(start_line(&reg), "REGISTER sip:registrar.example.com SIP/2.0");
    assert_eq!(m.via.transport, "WS");
    assert_eq!(m.from.display, Some("Agent 1001"));
    assert_eq!(m.header("Route"), Some("<sip:edge.example.com;transport=ws;lr>"));
    assert_eq!(m.header("User-Agent"), Some("agentbar/0.1"));
    assert!(m
        .header("Contact")
        .unwrap()
        .contains("+sip.instance=\"<urn:uuid:00000000-0000-4000-8000-000000000001>\""));
    let again = h
        .frame(&reply(&reg, 401, "Unauthorized", Some("k"), &hdr("WWW-Authenticate", KAMAILIO_CHALLENGE), ""))
        .one_frame();
    assert!(header(&again, "Authorization").contains(r#"username="agent-1001", realm="pbx.example.com""#));
    assert!(header(&again, "Authorization").contains(r#"uri="sip:registrar.example.com""#));
}

#[test]
fn register_carries_the_configured_extra_headers_sanitised() {
    let mut cfg = Config::new(AOR, PASSWORD);
    cfg.register_headers =
        vec![("X-Signature".into(), "c2lnbmVk\r\nInjected: yes".into()), ("Bad Name:".into(), "v".into())];
    let mut h = Harness::with_config(cfg);
    h.step(Input::Connected);
    let reg = h.cmd(Command::Register).one_frame();
    let m = Message::parse(&reg).unwrap();
    assert_eq!(m.header("X-Signature"), Some("c2lnbmVkInjected: yes"));
    assert!(m.header("Injected").is_none(), "no header smuggled through a value");
    assert_eq!(m.header("BadName"), Some("v"));
}
