//! Call sequences: outgoing and incoming INVITE dialogs, CANCEL, BYE, re-INVITE, INFO, and
//! the timers that detect a silent peer.

mod common;

use agentbar_sip::sdp::{self, Direction};
use agentbar_sip::{CallState, Command, EndedBy, Event, Input, Message, Reoffer};
use common::*;

const PROXY_CHALLENGE: &str = r#"Digest realm="pbx.example.com", nonce="aW52aXRlLW5vbmNl", qop="auth""#;

#[test]
fn outgoing_call_with_407_then_180_200_ack_bye() {
    let mut h = Harness::new();
    h.registered();
    let headers =
        vec![("X-Agentbar-Call".to_string(), "c-77".to_string()), ("Bad\r\nName".into(), "x".into())];
    let s = h.cmd(Command::Call { target: "1002".into(), sdp_offer: CHROME_OFFER.into(), headers });
    let call = s.dialing();
    assert_eq!(h.ua.call_state(call), Some(CallState::Dialing));
    let invite = s.one_frame();
    let m = Message::parse(&invite).unwrap();
    assert_eq!(start_line(&invite), "INVITE sip:1002@pbx.example.com SIP/2.0");
    assert_eq!(m.to.uri, "sip:1002@pbx.example.com");
    assert!(m.to.tag().is_none() && m.from.tag().is_some());
    assert_eq!(m.cseq.seq, 1);
    assert_eq!(m.body, CHROME_OFFER);
    assert_eq!(m.content_type(), Some("application/sdp"));
    assert!(m.header("Contact").unwrap().ends_with(";transport=ws;ob>"));
    assert_eq!(m.header("X-Agentbar-Call"), Some("c-77"));
    assert!(!invite.contains("Bad"), "header names are checked");
    assert_eq!(Some(m.call_id), h.ua.sip_call_id(call));

    assert!(h.frame(&reply(&invite, 100, "Trying", None, "", "")).quiet());
    // 407 from the proxy: ACK in the same transaction, then the INVITE again with credentials.
    let s = h.frame(&reply(
        &invite,
        407,
        "Proxy Authentication Required",
        Some("p1"),
        &hdr("Proxy-Authenticate", PROXY_CHALLENGE),
        "",
    ));
    let f = s.frames();
    assert_eq!(f.len(), 2, "{f:#?}");
    let ack = Message::parse(&f[0]).unwrap();
    assert_eq!(start_line(&f[0]), "ACK sip:1002@pbx.example.com SIP/2.0");
    assert_eq!(ack.via.branch(), m.via.branch());
    assert_eq!((ack.cseq.seq, ack.cseq.method), (1, "ACK"));
    assert_eq!(ack.to.tag(), Some("p1"));
    let invite2 = f[1].clone();
    let m2 = Message::parse(&invite2).unwrap();
    assert_eq!((m2.cseq.seq, m2.call_id, m2.from.tag()), (2, m.call_id, m.from.tag()));
    assert_ne!(m2.via.branch(), m.via.branch());
    assert!(m2.to.tag().is_none());
    assert_eq!(m2.header("X-Agentbar-Call"), Some("c-77"));
    let cred = m2.header("Proxy-Authorization").unwrap();
    assert!(cred.contains(r#"uri="sip:1002@pbx.example.com""#));
    let (sent, expected) = expected_response(cred, "INVITE", PASSWORD);
    assert_eq!(sent, expected);
    assert!(s.events().is_empty());

    // 180 with a To tag and the route set: an early dialog.
    let rr = "Record-Route: <sip:203.0.113.10;r2=on;lr;ftag=x>, <sip:203.0.113.10:8443;transport=ws;r2=on;lr;ftag=x>\r\n";
    let contact = "Contact: <sip:1002@10.0.0.31:5060;ob>\r\n";
    let s = h.frame(&reply(&invite2, 180, "Ringing", Some("b2b"), &format!("{rr}{contact}"), ""));
    assert_eq!(s.events(), vec![Event::Ringing { call, sdp: None }]);
    assert_eq!(h.ua.call_state(call), Some(CallState::Early));

    // 200: ACK as a new transaction to the Contact, through the reversed Record-Route.
    let s = h.frame(&reply(
        &invite2,
        200,
        "OK",
        Some("b2b"),
        &sdp_headers(&format!("{rr}{contact}")),
        RTPENGINE_SDP,
    ));
    assert_eq!(s.events(), vec![Event::Answered { call, sdp: RTPENGINE_SDP.into() }]);
    let ack = s.one_frame();
    let a = Message::parse(&ack).unwrap();
    assert_eq!(start_line(&ack), "ACK sip:1002@10.0.0.31:5060;ob SIP/2.0");
    assert_ne!(a.via.branch(), m2.via.branch());
    assert_eq!((a.cseq.seq, a.cseq.method), (2, "ACK"));
    assert_eq!(a.to.tag(), Some("b2b"));
    assert_eq!(
        a.header("Route"),
        Some("<sip:203.0.113.10:8443;transport=ws;r2=on;lr;ftag=x>, <sip:203.0.113.10;r2=on;lr;ftag=x>")
    );
    assert_eq!(
        a.header("Proxy-Authorization"),
        m2.header("Proxy-Authorization"),
        "the ACK carries the INVITE's credentials"
    );
    assert_eq!(h.ua.call_state(call), Some(CallState::Established));

    // A retransmitted 200 is ACKed again, identically.
    let again = h.frame(&reply(
        &invite2,
        200,
        "OK",
        Some("b2b"),
        &sdp_headers(&format!("{rr}{contact}")),
        RTPENGINE_SDP,
    ));
    assert_eq!(again.frames(), vec![ack.clone()]);
    assert!(again.events().is_empty());

    // Hang up: BYE in the dialog.
    let s = h.cmd(Command::Hangup { call });
    assert_eq!(s.events(), vec![Event::Ended { call, by: EndedBy::Local, code: None, reason: "BYE".into() }]);
    let bye = s.one_frame();
    let b = Message::parse(&bye).unwrap();
    assert_eq!(start_line(&bye), "BYE sip:1002@10.0.0.31:5060;ob SIP/2.0");
    assert_eq!((b.cseq.seq, b.cseq.method), (3, "BYE"));
    assert_eq!(b.header("Route"), a.header("Route"));
    assert_eq!((b.from.tag(), b.to.tag()), (m.from.tag(), Some("b2b")));
    assert_eq!(h.ua.call_state(call), None);
    assert_eq!(h.ua.calls(), vec![]);
    assert!(h.frame(&reply(&bye, 200, "OK", None, "", "")).quiet());
    assert!(h.ua.sip_call_id(call).is_none(), "forgotten once the BYE completed");
}

#[test]
fn outgoing_call_rejected_busy() {
    let mut h = Harness::new();
    h.registered();
    let s = h.cmd(Command::Call {
        target: "sip:1003@pbx.example.com".into(),
        sdp_offer: CHROME_OFFER.into(),
        headers: vec![],
    });
    let call = s.dialing();
    let invite = s.one_frame();
    h.frame(&reply(&invite, 180, "Ringing", Some("x"), "Contact: <sip:1003@10.0.0.32>\r\n", ""));
    let s = h.frame(&reply(&invite, 486, "Busy Here", Some("x"), "", ""));
    assert_eq!(
        s.events(),
        vec![Event::Ended { call, by: EndedBy::Remote, code: Some(486), reason: "Busy Here".into() }]
    );
    assert!(start_line(&s.one_frame()).starts_with("ACK sip:1003@pbx.example.com"));
    assert!(h.ua.sip_call_id(call).is_none());
}

#[test]
fn early_media_183_then_200_without_sdp() {
    let mut h = Harness::new();
    h.registered();
    let s = h.cmd(Command::Call { target: "4000".into(), sdp_offer: CHROME_OFFER.into(), headers: vec![] });
    let call = s.dialing();
    let invite = s.one_frame();
    let s = h.frame(&reply(
        &invite,
        183,
        "Session Progress",
        Some("q"),
        &sdp_headers("Contact: <sip:ivr@10.0.0.5>\r\n"),
        RTPENGINE_SDP,
    ));
    assert_eq!(s.events(), vec![Event::Progress { call, code: 183, sdp: Some(RTPENGINE_SDP.into()) }]);
    let s = h.frame(&reply(&invite, 200, "OK", Some("q"), "Contact: <sip:ivr@10.0.0.5>\r\n", ""));
    assert_eq!(s.events(), vec![Event::Answered { call, sdp: RTPENGINE_SDP.into() }]);
}

#[test]
fn incoming_call_answered_then_remote_bye() {
    let mut h = Harness::new();
    h.registered();
    let inv = kamailio_invite("3c2a4b1e6f7d8a9b@10.0.0.20", RTPENGINE_SDP);
    let s = h.frame(&inv);
    let f = s.frames();
    assert_eq!(f.len(), 2);
    assert_eq!(start_line(&f[0]), "SIP/2.0 100 Trying");
    assert_eq!(start_line(&f[1]), "SIP/2.0 180 Ringing");
    let ringing = Message::parse(&f[1]).unwrap();
    let tag = ringing.to.tag().unwrap().to_string();
    assert_eq!(ringing.list("Via").count(), 2, "every Via is copied");
    assert_eq!(ringing.headers_named("Record-Route").count(), 2, "Record-Route copied in order");
    assert!(ringing.header("Contact").is_some());
    match &s.events()[..] {
        [Event::IncomingCall { call, sip_call_id, from, to, sdp_offer, headers }] => {
            assert_eq!(sip_call_id, "3c2a4b1e6f7d8a9b@10.0.0.20");
            assert_eq!(from.display.as_deref(), Some("13800000000"));
            assert_eq!(from.uri, "sip:13800000000@10.0.0.20");
            assert_eq!(to.uri, AOR);
            assert_eq!(sdp_offer, RTPENGINE_SDP);
            let names: Vec<_> = headers.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, ["X-CallId", "X-Queue", "Call-Info", "P-Asserted-Identity"]);
            assert_eq!(headers[0].1, "20261121-000123");
            assert_eq!(h.ua.call_state(*call), Some(CallState::Incoming));
        }
        other => panic!("{other:?}"),
    }
    let call = s.incoming();

    let answer = sdp::set_direction(CHROME_OFFER, Direction::SendRecv);
    let ok = h.cmd(Command::Answer { call, sdp_answer: answer.clone() }).one_frame();
    let o = Message::parse(&ok).unwrap();
    assert_eq!(start_line(&ok), "SIP/2.0 200 OK");
    assert_eq!(o.to.tag(), Some(tag.as_str()), "same tag as the 180");
    assert_eq!(o.body, answer);
    assert_eq!(o.headers_named("Record-Route").count(), 2);
    assert!(o.header("Contact").unwrap().contains(".invalid;transport=ws;ob"));
    assert_eq!(o.cseq.seq, 102);
    assert_eq!(h.ua.call_state(call), Some(CallState::Established));

    let ack = in_dialog_request("ACK", &inv, &ok, 102, "");
    assert_eq!(h.frame(&ack).events(), vec![Event::Confirmed { call, sdp: None }]);
    assert!(
        h.timers.iter().all(|(_, &at)| at > h.now + 100_000),
        "Timer H cancelled: only the refresh remains"
    );

    let bye = in_dialog_request("BYE", &inv, &ok, 103, "")
        .replace("Content-Length", "Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\nContent-Length");
    let s = h.frame(&bye);
    assert_eq!(start_line(&s.one_frame()), "SIP/2.0 200 OK");
    assert_eq!(
        s.events(),
        vec![Event::Ended { call, by: EndedBy::Remote, code: None, reason: "Normal call clearing".into() }]
    );
    assert!(h.ua.sip_call_id(call).is_none());
    // A repeated BYE finds no dialog.
    let again = h.frame(&bye.replace("CSeq: 103", "CSeq: 104"));
    assert_eq!(start_line(&again.one_frame()), "SIP/2.0 481 Call/Transaction Does Not Exist");
}

#[test]
fn local_bye_on_incoming_call_uses_route_set_in_order() {
    let mut h = Harness::new();
    h.step(Input::Connected);
    let (call, _, _) = h.incoming_established();
    let s = h.cmd(Command::Hangup { call });
    let bye = Message::parse(&s.one_frame()).unwrap().to_text();
    assert!(start_line(&bye).starts_with("BYE sip:13800000000@10.0.0.20:5060 SIP/2.0"));
    let routes: Vec<_> = Message::parse(&bye).unwrap().list("Route").map(String::from).collect();
    assert_eq!(
        routes,
        [
            "<sip:203.0.113.10:8443;transport=ws;r2=on;lr=on;ftag=as5f3c2b1a;nat=yes>",
            "<sip:203.0.113.10;r2=on;lr=on;ftag=as5f3c2b1a;nat=yes>"
        ]
    );
    let b = Message::parse(&bye).unwrap();
    assert_eq!(b.from.uri, AOR);
    assert_eq!(b.to.tag(), Some("as5f3c2b1a"));
}

#[test]
fn caller_cancels_while_ringing() {
    let mut h = Harness::new();
    h.registered();
    let inv = kamailio_invite("cancel-1", RTPENGINE_SDP);
    let call = h.frame(&inv).incoming();
    let cancel = inv
        .replacen("INVITE sip:", "CANCEL sip:", 1)
        .replace("CSeq: 102 INVITE", "CSeq: 102 CANCEL")
        .replace(
            "Content-Type: application/sdp\r\n",
            "Reason: SIP;cause=200;text=\"Call completed elsewhere\", Q.850;cause=26\r\n",
        );
    let cancel = cancel
        .split("\r\n\r\n")
        .next()
        .unwrap()
        .replace(&format!("Content-Length: {}", RTPENGINE_SDP.len()), "Content-Length: 0")
        + "\r\n\r\n";
    let s = h.frame(&cancel);
    let f = s.frames();
    assert_eq!(f.len(), 2);
    assert_eq!(start_line(&f[0]), "SIP/2.0 200 OK");
    assert_eq!(header(&f[0], "CSeq"), "102 CANCEL");
    assert_eq!(start_line(&f[1]), "SIP/2.0 487 Request Terminated");
    assert_eq!(header(&f[1], "CSeq"), "102 INVITE");
    assert_eq!(
        s.events(),
        vec![Event::Ended {
            call,
            by: EndedBy::Remote,
            code: Some(487),
            reason: "Call completed elsewhere".into()
        }]
    );
    // Answering now does nothing; the ACK of the 487 finishes the call.
    assert!(h.cmd(Command::Answer { call, sdp_answer: CHROME_OFFER.into() }).0.is_empty());
    let ack = in_dialog_request("ACK", &inv, &f[1], 102, "");
    assert!(h.frame(&ack).0.iter().all(|o| matches!(o, agentbar_sip::Output::CancelTimer(_))));
    assert!(h.ua.sip_call_id(call).is_none());
}

#[test]
fn reject_incoming_call() {
    let mut h = Harness::new();
    let inv = kamailio_invite("reject-1", RTPENGINE_SDP);
    h.step(Input::Connected);
    let call = h.frame(&inv).incoming();
    let s = h.cmd(Command::Reject { call, code: 603 });
    let resp = s.one_frame();
    assert_eq!(start_line(&resp), "SIP/2.0 603 Decline");
    assert_eq!(
        s.events(),
        vec![Event::Ended { call, by: EndedBy::Local, code: Some(603), reason: "Decline".into() }]
    );
    h.frame(&in_dialog_request("ACK", &inv, &resp, 102, ""));
    assert!(h.ua.sip_call_id(call).is_none());
    // Hangup of a ringing call is a 486.
    let inv = kamailio_invite("reject-2", RTPENGINE_SDP);
    let call = h.frame(&inv).incoming();
    assert_eq!(start_line(&h.cmd(Command::Hangup { call }).one_frame()), "SIP/2.0 486 Busy Here");
}

#[test]
fn we_cancel_before_and_after_a_provisional() {
    let mut h = Harness::new();
    h.registered();
    let s = h.cmd(Command::Call { target: "1002".into(), sdp_offer: CHROME_OFFER.into(), headers: vec![] });
    let call = s.dialing();
    let invite = s.one_frame();
    // No provisional yet: CANCEL must wait (§9.1), but the app hears Ended at once.
    let s = h.cmd(Command::Hangup { call });
    assert!(s.frames().is_empty());
    assert_eq!(
        s.events(),
        vec![Event::Ended { call, by: EndedBy::Local, code: None, reason: "CANCEL".into() }]
    );
    let s = h.frame(&reply(&invite, 180, "Ringing", Some("t9"), "Contact: <sip:1002@10.0.0.31>\r\n", ""));
    assert!(s.events().is_empty());
    let cancel = s.one_frame();
    let c = Message::parse(&cancel).unwrap();
    let i = Message::parse(&invite).unwrap();
    assert_eq!(start_line(&cancel), "CANCEL sip:1002@pbx.example.com SIP/2.0");
    assert_eq!(c.via.branch(), i.via.branch());
    assert_eq!((c.cseq.seq, c.cseq.method), (1, "CANCEL"));
    assert_eq!(c.header("To"), i.header("To"), "the INVITE's To, without the early tag");
    assert!(h.frame(&reply(&cancel, 200, "OK", Some("t9"), "", "")).quiet());
    let s = h.frame(&reply(&invite, 487, "Request Terminated", Some("t9"), "", ""));
    assert!(s.events().is_empty());
    let ack = s.one_frame();
    assert_eq!(header(&ack, "CSeq"), "1 ACK");
    assert_eq!(Message::parse(&ack).unwrap().via.branch(), i.via.branch());
    assert!(h.ua.sip_call_id(call).is_none());

    // A 200 racing the CANCEL: ACK it, then BYE.
    let s = h.cmd(Command::Call { target: "1002".into(), sdp_offer: CHROME_OFFER.into(), headers: vec![] });
    let call = s.dialing();
    let invite = s.one_frame();
    h.frame(&reply(&invite, 180, "Ringing", Some("r"), "Contact: <sip:1002@10.0.0.31>\r\n", ""));
    let cancel = h.cmd(Command::Hangup { call }).one_frame();
    assert!(start_line(&cancel).starts_with("CANCEL"));
    let s = h.frame(&reply(
        &invite,
        200,
        "OK",
        Some("r"),
        &sdp_headers("Contact: <sip:1002@10.0.0.31>\r\n"),
        RTPENGINE_SDP,
    ));
    assert!(s.events().is_empty());
    let f = s.frames();
    assert_eq!(f.len(), 2);
    assert!(start_line(&f[0]).starts_with("ACK sip:1002@10.0.0.31"));
    assert!(start_line(&f[1]).starts_with("BYE sip:1002@10.0.0.31"));
    h.frame(&reply(&f[1], 200, "OK", None, "", ""));
    assert!(h.ua.sip_call_id(call).is_none());
}

#[test]
fn cancel_without_final_response_gives_up_after_64_t1() {
    let mut h = Harness::new();
    h.registered();
    let s = h.cmd(Command::Call { target: "1002".into(), sdp_offer: CHROME_OFFER.into(), headers: vec![] });
    let call = s.dialing();
    let invite = s.one_frame();
    h.frame(&reply(&invite, 100, "Trying", None, "", ""));
    h.cmd(Command::Hangup { call }).one_frame();
    assert!(h.ua.sip_call_id(call).is_some());
    let s = h.advance(32_000);
    assert!(s.events().is_empty());
    assert!(h.ua.sip_call_id(call).is_none());
}

#[test]
fn timer_b_ends_an_unanswered_invite() {
    let mut h = Harness::new();
    h.registered();
    let s = h.cmd(Command::Call { target: "1002".into(), sdp_offer: CHROME_OFFER.into(), headers: vec![] });
    let call = s.dialing();
    assert!(h.advance(31_999).events().is_empty());
    let s = h.advance(1);
    assert_eq!(
        s.events(),
        vec![Event::Ended { call, by: EndedBy::Timeout, code: Some(408), reason: "Request Timeout".into() }]
    );
    assert!(h.ua.sip_call_id(call).is_none());
}

#[test]
fn provisional_response_stops_timer_b() {
    let mut h = Harness::new();
    h.registered();
    let s = h.cmd(Command::Call { target: "1002".into(), sdp_offer: CHROME_OFFER.into(), headers: vec![] });
    let call = s.dialing();
    h.frame(&reply(&s.one_frame(), 180, "Ringing", Some("z"), "Contact: <sip:1002@10.0.0.31>\r\n", ""));
    assert!(h.advance(120_000).events().is_empty(), "a ringing call may ring for long");
    assert_eq!(h.ua.call_state(call), Some(CallState::Early));
}

#[test]
fn timer_h_ends_a_call_whose_200_is_never_acked() {
    let mut h = Harness::new();
    h.step(Input::Connected);
    let inv = kamailio_invite("noack", RTPENGINE_SDP);
    let call = h.frame(&inv).incoming();
    h.cmd(Command::Answer { call, sdp_answer: CHROME_OFFER.into() }).one_frame();
    let s = h.advance(32_000);
    assert_eq!(
        s.events(),
        vec![Event::Ended { call, by: EndedBy::Timeout, code: Some(408), reason: "No ACK".into() }]
    );
    assert!(start_line(&s.one_frame()).starts_with("BYE "));
}

#[test]
fn hangup_before_the_ack_waits_for_it() {
    let mut h = Harness::new();
    h.step(Input::Connected);
    let inv = kamailio_invite("early-hangup", RTPENGINE_SDP);
    let call = h.frame(&inv).incoming();
    let ok = h.cmd(Command::Answer { call, sdp_answer: CHROME_OFFER.into() }).one_frame();
    let s = h.cmd(Command::Hangup { call });
    assert!(s.frames().is_empty(), "§15: no BYE before the ACK");
    assert_eq!(s.events(), vec![Event::Ended { call, by: EndedBy::Local, code: None, reason: "BYE".into() }]);
    let s = h.frame(&in_dialog_request("ACK", &inv, &ok, 102, ""));
    assert!(s.events().is_empty());
    assert!(start_line(&s.one_frame()).starts_with("BYE "));
}

#[test]
fn local_hold_and_resume() {
    let mut h = Harness::new();
    h.registered();
    let (call, invite) = h.outgoing_established();
    let hold = sdp::bump_version(&sdp::set_direction(CHROME_OFFER, Direction::SendOnly));
    let reinvite = h.cmd(Command::Hold { call, sdp: hold.clone() }).one_frame();
    let r = Message::parse(&reinvite).unwrap();
    assert_eq!(start_line(&reinvite), "INVITE sip:1002@10.0.0.31:5060 SIP/2.0");
    assert_eq!((r.cseq.seq, r.to.tag()), (2, Some("b2b")));
    assert_eq!(r.header("Route"), Some("<sip:203.0.113.10;transport=ws;lr>"));
    assert_eq!(r.body, hold);
    assert_eq!(r.call_id, Message::parse(&invite).unwrap().call_id);
    // A second re-offer while this one is pending is refused locally.
    let s = h.cmd(Command::Resume { call, sdp: CHROME_OFFER.into() });
    assert_eq!(
        s.events(),
        vec![Event::ReofferFailed {
            call,
            reoffer: Reoffer::Resume,
            code: 491,
            reason: "Request Pending".into()
        }]
    );
    let answer = sdp::set_direction(RTPENGINE_SDP, Direction::RecvOnly);
    let s = h.frame(&reply(
        &reinvite,
        200,
        "OK",
        None,
        &sdp_headers("Contact: <sip:1002@10.0.0.31:5060>\r\n"),
        &answer,
    ));
    assert_eq!(
        s.events(),
        vec![Event::ReofferAccepted { call, reoffer: Reoffer::Hold, sdp: answer.clone() }]
    );
    assert_eq!(header(&s.one_frame(), "CSeq"), "2 ACK");
    assert_eq!(sdp::direction(&answer), Direction::RecvOnly);

    let resume = sdp::bump_version(&sdp::set_direction(&hold, Direction::SendRecv));
    let reinvite = h.cmd(Command::Resume { call, sdp: resume }).one_frame();
    assert_eq!(header(&reinvite, "CSeq"), "3 INVITE");
    // The far end refuses: the session stays as it was.
    let s = h.frame(&reply(&reinvite, 488, "Not Acceptable Here", None, "", ""));
    assert_eq!(
        s.events(),
        vec![Event::ReofferFailed {
            call,
            reoffer: Reoffer::Resume,
            code: 488,
            reason: "Not Acceptable Here".into()
        }]
    );
    assert_eq!(header(&s.one_frame(), "CSeq"), "3 ACK");
    assert_eq!(h.ua.call_state(call), Some(CallState::Established));
}

#[test]
fn remote_hold_resume_and_session_refresh() {
    let mut h = Harness::new();
    h.registered();
    let (call, inv, ok) = h.incoming_established();
    let held = sdp::bump_version(&sdp::set_direction(RTPENGINE_SDP, Direction::SendOnly));

    // Our own re-INVITE is pending: theirs collides and gets 491 (§14.2).
    let ours = h.cmd(Command::Renegotiate { call, sdp: CHROME_OFFER.into() }).one_frame();
    assert_eq!(start_line(&ours), "INVITE sip:13800000000@10.0.0.20:5060 SIP/2.0");
    let s = h.frame(&in_dialog_request("INVITE", &inv, &ok, 103, &held));
    assert_eq!(start_line(&s.one_frame()), "SIP/2.0 491 Request Pending");
    let s = h.frame(&reply(&ours, 200, "OK", None, &sdp_headers(""), RTPENGINE_SDP));
    assert_eq!(
        s.events(),
        vec![Event::ReofferAccepted { call, reoffer: Reoffer::Renegotiate, sdp: RTPENGINE_SDP.into() }]
    );

    // Their hold: 100, then RemoteHold; the app answers.
    let s = h.frame(&in_dialog_request("INVITE", &inv, &ok, 104, &held));
    assert_eq!(start_line(&s.one_frame()), "SIP/2.0 100 Trying");
    assert_eq!(s.events(), vec![Event::RemoteHold { call, sdp: held.clone() }]);
    // Meanwhile we may not re-offer ourselves.
    let s = h.cmd(Command::Hold { call, sdp: CHROME_OFFER.into() });
    assert!(matches!(s.events()[..], [Event::ReofferFailed { code: 491, .. }]));
    let recv_only = sdp::set_direction(CHROME_OFFER, Direction::RecvOnly);
    let ok2 = h.cmd(Command::Answer { call, sdp_answer: recv_only.clone() }).one_frame();
    assert_eq!(start_line(&ok2), "SIP/2.0 200 OK");
    assert_eq!(header(&ok2, "CSeq"), "104 INVITE");
    assert_eq!(Message::parse(&ok2).unwrap().body, recv_only);
    assert!(h.frame(&in_dialog_request("ACK", &inv, &ok, 104, "")).events().is_empty());

    // The same offer again (a session-timer refresh): answered without the app.
    let s = h.frame(&in_dialog_request("INVITE", &inv, &ok, 105, &held));
    assert!(s.events().is_empty());
    assert_eq!(Message::parse(&s.one_frame()).unwrap().body, recv_only);
    h.frame(&in_dialog_request("ACK", &inv, &ok, 105, ""));
    // So is an offerless one.
    let s = h.frame(&in_dialog_request("INVITE", &inv, &ok, 106, ""));
    assert!(s.events().is_empty());
    assert_eq!(Message::parse(&s.one_frame()).unwrap().body, recv_only);
    h.frame(&in_dialog_request("ACK", &inv, &ok, 106, ""));

    // Their resume.
    let resumed = sdp::bump_version(&sdp::set_direction(&held, Direction::SendRecv));
    let s = h.frame(&in_dialog_request("INVITE", &inv, &ok, 107, &resumed));
    assert_eq!(s.events(), vec![Event::RemoteResume { call, sdp: resumed.clone() }]);
    h.cmd(Command::Answer { call, sdp_answer: CHROME_OFFER.into() }).one_frame();
    h.frame(&in_dialog_request("ACK", &inv, &ok, 107, ""));

    // A changed offer that is neither (e.g. an ICE restart), refused by the app.
    let restart = sdp::bump_version(&resumed);
    let s = h.frame(&in_dialog_request("INVITE", &inv, &ok, 108, &restart));
    assert_eq!(s.events(), vec![Event::RemoteOffer { call, sdp: restart }]);
    let s = h.cmd(Command::Reject { call, code: 488 });
    assert_eq!(start_line(&s.one_frame()), "SIP/2.0 488 Not Acceptable Here");
    assert!(s.events().is_empty(), "a refused re-offer does not end the call");
    h.frame(&in_dialog_request("ACK", &inv, &ok, 108, ""));
    assert_eq!(h.ua.call_state(call), Some(CallState::Established));

    // Out-of-order CSeq.
    let s = h.frame(&in_dialog_request("INFO", &inv, &ok, 108, "Signal=1\r\nDuration=100\r\n"));
    assert_eq!(start_line(&s.one_frame()), "SIP/2.0 500 Server Internal Error");
}

#[test]
fn glare_is_retried_after_a_random_delay() {
    let mut h = Harness::new();
    h.registered();
    let (call, _) = h.outgoing_established();
    let reinvite = h.cmd(Command::Hold { call, sdp: CHROME_OFFER.into() }).one_frame();
    let s = h.frame(&reply(&reinvite, 491, "Request Pending", None, "", ""));
    assert!(s.events().is_empty());
    assert_eq!(header(&s.one_frame(), "CSeq"), "2 ACK");
    // We own the Call-ID: 2.1–4 s.
    assert!(h.advance(2_099).frames().is_empty());
    let again = h.advance(1_901).one_frame();
    assert_eq!(header(&again, "CSeq"), "3 INVITE");
    let s = h.frame(&reply(&again, 200, "OK", None, &sdp_headers(""), RTPENGINE_SDP));
    assert_eq!(
        s.events(),
        vec![Event::ReofferAccepted { call, reoffer: Reoffer::Hold, sdp: RTPENGINE_SDP.into() }]
    );
}

#[test]
fn info_dtmf_both_ways() {
    let mut h = Harness::new();
    h.registered();
    let (call, invite) = h.outgoing_established();
    let info = h.cmd(Command::SendInfoDtmf { call, digit: '#', duration_ms: 0 }).one_frame();
    let i = Message::parse(&info).unwrap();
    assert_eq!((i.cseq.seq, i.cseq.method), (2, "INFO"));
    assert_eq!(i.content_type(), Some("application/dtmf-relay"));
    assert_eq!(i.body, "Signal=#\r\nDuration=160\r\n");
    assert!(h.cmd(Command::SendInfoDtmf { call, digit: 'x', duration_ms: 100 }).0.is_empty());
    assert!(h.frame(&reply(&info, 200, "OK", None, "", "")).quiet());

    let theirs = request_to_us(
        "INFO",
        &invite,
        "b2b",
        7,
        "Content-Type: application/dtmf-relay\r\n",
        "Signal=5\r\nDuration=160\r\n",
    );
    let s = h.frame(&theirs);
    assert_eq!(start_line(&s.one_frame()), "SIP/2.0 200 OK");
    assert_eq!(s.events(), vec![Event::Dtmf { call, digit: '5' }]);

    // A 481 to an in-dialog request means the dialog is gone.
    let info = h.cmd(Command::SendInfoDtmf { call, digit: '1', duration_ms: 100 }).one_frame();
    let s = h.frame(&reply(&info, 481, "Call/Transaction Does Not Exist", None, "", ""));
    assert_eq!(
        s.events(),
        vec![Event::Ended {
            call,
            by: EndedBy::Remote,
            code: Some(481),
            reason: "Call/Transaction Does Not Exist".into()
        }]
    );
}

#[test]
fn options_keepalive_and_unknown_requests() {
    let mut h = Harness::new();
    h.registered();
    let ping = "OPTIONS sip:q3kevn6v@7f2n2skq4t1b.invalid;transport=ws SIP/2.0\r\n\
        Via: SIP/2.0/WSS 203.0.113.10:8443;branch=z9hG4bKping\r\n\
        From: <sip:keepalive@pbx.example.com>;tag=ka1\r\nTo: <sip:q3kevn6v@7f2n2skq4t1b.invalid>\r\n\
        Call-ID: ka-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    let resp = h.frame(ping).one_frame();
    assert_eq!(start_line(&resp), "SIP/2.0 200 OK");
    assert!(header(&resp, "Allow").contains("INVITE"));
    assert_eq!(header(&resp, "Via"), "SIP/2.0/WSS 203.0.113.10:8443;branch=z9hG4bKping");
    assert!(Message::parse(&resp).unwrap().to.tag().is_some());

    let msg = ping.replace("OPTIONS", "MESSAGE");
    assert_eq!(start_line(&h.frame(&msg).one_frame()), "SIP/2.0 501 Not Implemented");
    let reg = ping.replace("OPTIONS", "REGISTER");
    assert_eq!(start_line(&h.frame(&reg).one_frame()), "SIP/2.0 405 Method Not Allowed");
    let bye = ping
        .replace("OPTIONS", "BYE")
        .replace("<sip:q3kevn6v@7f2n2skq4t1b.invalid>", "<sip:q3kevn6v@7f2n2skq4t1b.invalid>;tag=nope");
    assert_eq!(start_line(&h.frame(&bye).one_frame()), "SIP/2.0 481 Call/Transaction Does Not Exist");
    let bye = ping.replace("OPTIONS", "BYE");
    assert_eq!(start_line(&h.frame(&bye).one_frame()), "SIP/2.0 481 Call/Transaction Does Not Exist");
    let notify = ping.replace("OPTIONS", "NOTIFY").replace("invalid>\r\n", "invalid>;tag=x\r\n");
    assert_eq!(start_line(&h.frame(&notify).one_frame()), "SIP/2.0 481 Call/Transaction Does Not Exist");
    let req = ping.replace("Max-Forwards", "Require: 100rel\r\nMax-Forwards");
    let resp = h.frame(&req).one_frame();
    assert_eq!(start_line(&resp), "SIP/2.0 420 Bad Extension");
    assert_eq!(header(&resp, "Unsupported"), "100rel");
    // Keep-alive CRLFs and garbage are ignored.
    assert!(h.frame("\r\n\r\n").0.is_empty());
    assert!(h.frame("garbage").0.is_empty());
}

#[test]
fn socket_loss_ends_unestablished_calls_only() {
    let mut h = Harness::new();
    h.registered();
    let (established, _) = h.outgoing_established();
    let s = h.cmd(Command::Call { target: "1003".into(), sdp_offer: CHROME_OFFER.into(), headers: vec![] });
    let dialing = s.dialing();
    let s = h.step(Input::Disconnected);
    assert_eq!(
        s.events(),
        vec![
            Event::RegistrationFailed { code: 503, reason: "Connection lost".into() },
            Event::Ended {
                call: dialing,
                by: EndedBy::Transport,
                code: Some(503),
                reason: "Connection lost".into()
            },
        ]
    );
    assert_eq!(h.ua.calls(), vec![established]);
    // Calls while the socket is down end at once.
    let s = h.cmd(Command::Call { target: "1004".into(), sdp_offer: CHROME_OFFER.into(), headers: vec![] });
    let c = s.dialing();
    assert_eq!(
        s.events()[1],
        Event::Ended { call: c, by: EndedBy::Transport, code: Some(503), reason: "Connection lost".into() }
    );
    let s = h.cmd(Command::Hold { call: established, sdp: CHROME_OFFER.into() });
    assert_eq!(
        s.events(),
        vec![Event::ReofferFailed {
            call: established,
            reoffer: Reoffer::Hold,
            code: 503,
            reason: "Service Unavailable".into()
        }]
    );
    // After the socket is back the dialog still works: re-register, and BYE through its routes.
    let reg = h.step(Input::Connected).one_frame();
    assert!(start_line(&reg).starts_with("REGISTER"));
    let bye = h.cmd(Command::Hangup { call: established }).one_frame();
    assert!(start_line(&bye).starts_with("BYE sip:1002@10.0.0.31:5060"));
}

#[test]
fn second_fork_200_is_acked_and_hung_up() {
    let mut h = Harness::new();
    h.registered();
    let s = h.cmd(Command::Call { target: "1002".into(), sdp_offer: CHROME_OFFER.into(), headers: vec![] });
    let call = s.dialing();
    let invite = s.one_frame();
    h.frame(&reply(
        &invite,
        200,
        "OK",
        Some("fork1"),
        &sdp_headers("Contact: <sip:1002@10.0.0.31>\r\n"),
        RTPENGINE_SDP,
    ));
    let s = h.frame(&reply(
        &invite,
        200,
        "OK",
        Some("fork2"),
        &sdp_headers("Contact: <sip:1002@10.0.0.99>\r\n"),
        RTPENGINE_SDP,
    ));
    assert!(s.events().is_empty());
    let f = s.frames();
    assert_eq!(f.len(), 2);
    assert!(start_line(&f[0]).starts_with("ACK sip:1002@10.0.0.99"));
    assert!(start_line(&f[1]).starts_with("BYE sip:1002@10.0.0.99"));
    assert_eq!(Message::parse(&f[1]).unwrap().to.tag(), Some("fork2"));
    assert_eq!(h.ua.call_state(call), Some(CallState::Established));
}

#[test]
fn late_offer_incoming_call() {
    let mut h = Harness::new();
    h.step(Input::Connected);
    let inv = kamailio_invite("late", "").replace("Content-Type: application/sdp\r\n", "");
    let s = h.frame(&inv);
    let call = s.incoming();
    assert!(matches!(&s.events()[0], Event::IncomingCall { sdp_offer, .. } if sdp_offer.is_empty()));
    let ok = h.cmd(Command::Answer { call, sdp_answer: CHROME_OFFER.into() }).one_frame();
    let ack = in_dialog_request("ACK", &inv, &ok, 102, RTPENGINE_SDP);
    assert_eq!(h.frame(&ack).events(), vec![Event::Confirmed { call, sdp: Some(RTPENGINE_SDP.into()) }]);
}

#[test]
fn retransmitted_and_merged_invites() {
    let mut h = Harness::new();
    h.step(Input::Connected);
    let inv = kamailio_invite("dup", RTPENGINE_SDP);
    h.frame(&inv).incoming();
    assert!(h.frame(&inv).0.is_empty(), "a retransmission is absorbed");
    let merged = inv.replace("z9hG4bK1b6d.", "z9hG4bK2other.");
    assert_eq!(start_line(&h.frame(&merged).one_frame()), "SIP/2.0 482 Loop Detected");
    assert_eq!(h.ua.calls().len(), 1);
    let other = inv
        .replace("text/plain", "")
        .replace("Content-Type: application/sdp", "Content-Type: text/plain")
        .replace("Call-ID: dup", "Call-ID: dup2");
    assert_eq!(start_line(&h.frame(&other).one_frame()), "SIP/2.0 415 Unsupported Media Type");
}

#[test]
fn typed_targets_become_request_uris() {
    let mut h = Harness::new();
    h.registered();
    for (typed, uri) in [
        ("138 0000 0000", Some("sip:13800000000@pbx.example.com")),
        ("bob@example.org", Some("sip:bob@example.org")),
        ("<sip:queue@cc.example.com;transport=ws>", Some("sip:queue@cc.example.com;transport=ws")),
        ("a<b>\"c\"é", Some("sip:a%3cb%3e%22c%22%c3%a9@pbx.example.com")),
        ("*72#", Some("sip:*72%23@pbx.example.com")),
        ("  ", None),
        ("sip:bad target@x", None),
        ("x@bad host", None),
        ("@", None),
    ] {
        let s =
            h.cmd(Command::Call { target: typed.into(), sdp_offer: CHROME_OFFER.into(), headers: vec![] });
        let call = s.dialing();
        match uri {
            Some(uri) => {
                let invite = s.one_frame();
                assert_eq!(start_line(&invite), format!("INVITE {uri} SIP/2.0"), "{typed}");
                h.cmd(Command::Hangup { call });
            }
            None => {
                assert!(s.frames().is_empty(), "{typed}");
                assert_eq!(
                    s.events()[1],
                    Event::Ended {
                        call,
                        by: EndedBy::Local,
                        code: Some(484),
                        reason: "Address Incomplete".into()
                    }
                );
            }
        }
    }
}

#[test]
fn hangup_while_a_reinvite_is_pending_sends_one_bye() {
    let mut h = Harness::new();
    h.registered();
    let (call, _) = h.outgoing_established();
    let reinvite = h.cmd(Command::Hold { call, sdp: CHROME_OFFER.into() }).one_frame();
    let bye = h.cmd(Command::Hangup { call }).one_frame();
    assert!(start_line(&bye).starts_with("BYE "));
    let s = h.frame(&reply(&reinvite, 200, "OK", None, &sdp_headers(""), RTPENGINE_SDP));
    assert!(s.events().is_empty());
    assert_eq!(header(&s.one_frame(), "CSeq"), "2 ACK");
    h.frame(&reply(&bye, 200, "OK", None, "", ""));
    assert!(h.ua.sip_call_id(call).is_none());
}
