//! Real-world message shapes: what JsSIP sends, what Kamailio and Asterisk answer, compact
//! forms, multi-value headers; and that each survives a serialize → parse round trip.

mod common;

use agentbar_sip::hdr::{self, NameAddr, Via};
use agentbar_sip::msg::{Method, StartLine};
use agentbar_sip::sdp::{self, Direction};
use agentbar_sip::Message;
use common::*;

/// As JsSIP 3.10 writes a REGISTER.
const JSSIP_REGISTER: &str = "REGISTER sip:pbx.example.com SIP/2.0\r\n\
Via: SIP/2.0/WSS 7f2n2skq4t1b.invalid;branch=z9hG4bK2287406\r\n\
Max-Forwards: 69\r\n\
To: <sip:1001@pbx.example.com>\r\n\
From: \"Agent 1001\" <sip:1001@pbx.example.com>;tag=l6tqomq1ce\r\n\
Call-ID: 5an7g5ct44dd5r00mgqpvm\r\n\
CSeq: 1 REGISTER\r\n\
Contact: <sip:q3kevn6v@7f2n2skq4t1b.invalid;transport=ws>;+sip.ice;reg-id=1;+sip.instance=\"<urn:uuid:5e7c8b28-2c93-4c3f-9d77-8e1fbe6a1e2d>\";expires=600\r\n\
Expires: 600\r\n\
Allow: INVITE,ACK,CANCEL,BYE,UPDATE,MESSAGE,OPTIONS,REFER,INFO,NOTIFY\r\n\
Supported: path,gruu,outbound\r\n\
User-Agent: JsSIP 3.10.1\r\n\
Content-Length: 0\r\n\r\n";

/// Kamailio's auth module answering it.
const KAMAILIO_401: &str = "SIP/2.0 401 Unauthorized\r\n\
Via: SIP/2.0/WSS 7f2n2skq4t1b.invalid;rport=52144;received=203.0.113.7;branch=z9hG4bK2287406\r\n\
To: <sip:1001@pbx.example.com>;tag=a6a1c5f60faecf035a1ae5b6e96e979a-0a1b\r\n\
From: \"Agent 1001\" <sip:1001@pbx.example.com>;tag=l6tqomq1ce\r\n\
Call-ID: 5an7g5ct44dd5r00mgqpvm\r\n\
CSeq: 1 REGISTER\r\n\
WWW-Authenticate: Digest realm=\"pbx.example.com\", nonce=\"Zk3T1WZN0qnJ0q1hQ2Gm3n0yq7o8Zk3T\", qop=\"auth\"\r\n\
Server: kamailio (5.6.3 (x86_64/linux))\r\n\
Content-Length: 0\r\n\r\n";

/// The registrar's 200, listing every binding of the AOR (one per line and comma-joined).
const KAMAILIO_200: &str = "SIP/2.0 200 OK\r\n\
Via: SIP/2.0/WSS 7f2n2skq4t1b.invalid;rport=52144;received=203.0.113.7;branch=z9hG4bK5123\r\n\
To: <sip:1001@pbx.example.com>;tag=a6a1c5f60faecf035a1ae5b6e96e979a-7f2c\r\n\
From: \"Agent 1001\" <sip:1001@pbx.example.com>;tag=l6tqomq1ce\r\n\
Call-ID: 5an7g5ct44dd5r00mgqpvm\r\n\
CSeq: 2 REGISTER\r\n\
Contact: <sip:1001@198.51.100.2:5060;transport=udp>;expires=3421, \"Desk, phone\" <sip:1001@198.51.100.3>;expires=120\r\n\
Contact: <sip:q3kevn6v@7f2n2skq4t1b.invalid;transport=ws>;expires=600;+sip.instance=\"<urn:uuid:5e7c8b28-2c93-4c3f-9d77-8e1fbe6a1e2d>\";reg-id=1\r\n\
Server: kamailio (5.6.3 (x86_64/linux))\r\n\
Content-Length: 0\r\n\r\n";

/// A server using compact forms throughout, bare LF line ends, and no Content-Length.
const COMPACT: &str = "SIP/2.0 180 Ringing\n\
v: SIP/2.0/WSS a.invalid;branch=z9hG4bKc1, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKc0\n\
f: <sip:1001@pbx.example.com>;tag=f1\n\
t: \"Bob\" <sip:1002@pbx.example.com>;tag=t2\n\
i: compact-1@pbx\n\
CSeq: 7 INVITE\n\
m: <sip:1002@10.0.0.31:5060>;expires=60\n\
k: timer, replaces\n\
c: application/sdp\n\
\n\
v=0\n";

#[test]
fn jssip_register() {
    let m = Message::parse(JSSIP_REGISTER).unwrap();
    assert_eq!(m.start, StartLine::Request { method: "REGISTER", uri: "sip:pbx.example.com" });
    assert_eq!(m.method(), Some(Method::Register));
    assert_eq!(
        m.via,
        Via { transport: "WSS", sent_by: "7f2n2skq4t1b.invalid", params: ";branch=z9hG4bK2287406" }
    );
    assert_eq!(m.from.display, Some("Agent 1001"));
    assert_eq!(m.from.tag(), Some("l6tqomq1ce"));
    assert_eq!(m.to.tag(), None);
    assert_eq!(m.cseq.seq, 1);
    let c = m.contacts().next().unwrap();
    assert_eq!(c.uri, "sip:q3kevn6v@7f2n2skq4t1b.invalid;transport=ws");
    assert_eq!(c.param("+sip.instance"), Some("<urn:uuid:5e7c8b28-2c93-4c3f-9d77-8e1fbe6a1e2d>"));
    assert_eq!(c.param("+sip.ice"), Some(""));
    assert_eq!(hdr::uri_param(c.uri, "transport"), Some("ws"));
    assert_eq!(m.expires(), Some(600));
    assert_eq!(m.list("Allow").count(), 10);
    assert_eq!(m.list("Supported").collect::<Vec<_>>(), ["path", "gruu", "outbound"]);
    assert_eq!(m.body, "");
}

#[test]
fn kamailio_challenge() {
    let m = Message::parse(KAMAILIO_401).unwrap();
    assert_eq!(m.status(), Some(401));
    assert_eq!(m.start, StartLine::Response { code: 401, reason: "Unauthorized" });
    assert_eq!(m.via.received(), Some("203.0.113.7"));
    assert_eq!(m.via.rport(), Some("52144"));
    assert_eq!(m.via.branch(), Some("z9hG4bK2287406"));
    let ch = m.challenge().unwrap();
    assert_eq!(
        (ch.realm, ch.nonce, ch.qop, ch.stale),
        ("pbx.example.com", "Zk3T1WZN0qnJ0q1hQ2Gm3n0yq7o8Zk3T", Some("auth"), false)
    );
    // A 407 takes Proxy-Authenticate, and only MD5 challenges are offered to the UA.
    let p = KAMAILIO_401
        .replace("401 Unauthorized", "407 Proxy Authentication Required")
        .replace("WWW-Authenticate: Digest", "Proxy-Authenticate: Digest algorithm=SHA-256, realm=\"x\", nonce=\"n2\"\r\nProxy-Authenticate: Digest");
    let m = Message::parse(&p).unwrap();
    assert_eq!(m.challenge().unwrap().nonce, "Zk3T1WZN0qnJ0q1hQ2Gm3n0yq7o8Zk3T");
}

#[test]
fn registrar_lists_every_binding() {
    let m = Message::parse(KAMAILIO_200).unwrap();
    let contacts: Vec<NameAddr<'_>> = m.contacts().collect();
    assert_eq!(contacts.len(), 3);
    assert_eq!(contacts[1].display, Some("Desk, phone"));
    assert_eq!(contacts[1].param("expires"), Some("120"));
    assert_eq!(contacts[2].param("expires"), Some("600"));
    assert_eq!(hdr::uri_user(contacts[2].uri), Some("q3kevn6v"));
}

#[test]
fn kamailio_relayed_invite_with_webrtc_sdp() {
    let inv = kamailio_invite("3c2a4b1e6f7d8a9b0c1d2e3f4a5b6c7d@10.0.0.20:5060", RTPENGINE_SDP);
    let m = Message::parse(&inv).unwrap();
    assert_eq!(m.method(), Some(Method::Invite));
    assert_eq!(m.via.sent_by, "203.0.113.10:8443");
    let vias: Vec<_> = m.list("Via").map(|v| Via::parse(v).unwrap()).collect();
    assert_eq!(vias.len(), 2);
    assert_eq!(vias[1].rport(), Some("5060"));
    let rr: Vec<_> = m.list("Record-Route").collect();
    assert_eq!(rr.len(), 2);
    let first = NameAddr::parse(rr[0]).unwrap();
    assert_eq!(hdr::uri_param(first.uri, "lr"), Some("on"));
    assert_eq!(hdr::uri_host(first.uri), "203.0.113.10:8443");
    assert_eq!(m.from.display, Some("13800000000"));
    assert_eq!(m.from.tag(), Some("as5f3c2b1a"));
    assert_eq!(m.cseq.seq, 102);
    assert_eq!(m.content_type(), Some("application/sdp"));
    assert!(m.body_is("APPLICATION/SDP"));
    assert_eq!(m.body, RTPENGINE_SDP);
    assert_eq!(m.header("x-callid"), Some("20261121-000123"));
    assert_eq!(sdp::direction(m.body), Direction::SendRecv);
}

#[test]
fn jssip_invite_as_sent() {
    let body = CHROME_OFFER;
    let inv = format!(
        "INVITE sip:1002@pbx.example.com SIP/2.0\r\n\
Via: SIP/2.0/WSS 7f2n2skq4t1b.invalid;branch=z9hG4bK9153317\r\n\
Max-Forwards: 69\r\n\
To: <sip:1002@pbx.example.com>\r\n\
From: \"Agent 1001\" <sip:1001@pbx.example.com>;tag=00e5b3ds6u\r\n\
Call-ID: jlh8b5tpq5f6g3p6iqm0\r\n\
CSeq: 7412 INVITE\r\n\
Contact: <sip:q3kevn6v@7f2n2skq4t1b.invalid;transport=ws;ob>\r\n\
Content-Type: application/sdp\r\n\
Session-Expires: 90\r\n\
Allow: INVITE,ACK,CANCEL,BYE,UPDATE,MESSAGE,OPTIONS,REFER,INFO,NOTIFY\r\n\
Supported: timer,ice,replaces,outbound\r\n\
User-Agent: JsSIP 3.10.1\r\n\
Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let m = Message::parse(&inv).unwrap();
    assert_eq!(m.cseq.seq, 7412);
    assert_eq!(hdr::uri_param(m.contacts().next().unwrap().uri, "ob"), Some(""));
    assert_eq!(m.body, body);
    assert_eq!(m.header("Session-Expires"), Some("90"));
}

#[test]
fn compact_forms_and_bare_line_feeds() {
    let m = Message::parse(COMPACT).unwrap();
    assert_eq!(m.status(), Some(180));
    assert_eq!(m.call_id, "compact-1@pbx");
    assert_eq!(m.to.display, Some("Bob"));
    assert_eq!(m.to.tag(), Some("t2"));
    assert_eq!(m.list("Via").count(), 2);
    assert_eq!(m.via.branch(), Some("z9hG4bKc1"));
    assert_eq!(m.contacts().next().unwrap().uri, "sip:1002@10.0.0.31:5060");
    assert_eq!(m.list("Supported").collect::<Vec<_>>(), ["timer", "replaces"]);
    assert_eq!(m.content_type(), Some("application/sdp"));
    assert_eq!(m.body, "v=0\n");
    assert_eq!(m.headers[0].name, "Via");
}

#[test]
fn round_trips() {
    let invite = kamailio_invite("rt", RTPENGINE_SDP);
    for frame in [JSSIP_REGISTER, KAMAILIO_401, KAMAILIO_200, COMPACT, &invite] {
        let m = Message::parse(frame).unwrap();
        let text = m.to_text();
        let again = Message::parse(&text).unwrap();
        if m.header("Content-Length").is_some() {
            assert_eq!(again, m, "{text}");
        } else {
            // Serializing added the Content-Length.
            assert_eq!(&again.headers[..m.headers.len()], &m.headers[..]);
            assert_eq!(again.headers.last().unwrap().value, m.body.len().to_string());
            assert_eq!((again.body, again.cseq, again.via), (m.body, m.cseq, m.via));
        }
        assert_eq!(again.to_text(), text);
    }
}

#[test]
fn keepalives_and_errors() {
    assert!(Message::parse("").is_err());
    assert!(Message::parse("\r\n\r\n").is_err());
    // RFC 5626 keep-alive CRLFs before a message are skipped.
    assert!(Message::parse(&format!("\r\n\r\n{JSSIP_REGISTER}")).is_ok());
    let without = |name: &str| {
        JSSIP_REGISTER.lines().filter(|l| !l.starts_with(name)).map(|l| format!("{l}\n")).collect::<String>()
    };
    for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
        let err = Message::parse(&without(name)).unwrap_err();
        assert!(err.to_string().starts_with("malformed SIP message: "), "{err}");
    }
    let big = format!("{JSSIP_REGISTER}{}", "x".repeat(70_000))
        .replace("Content-Length: 0", "Content-Length: 70000");
    assert_eq!(Message::parse(&big).unwrap_err().0, "frame too large");
}
