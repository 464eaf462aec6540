//! A scripted far end for the sequence tests: a clock with the UA's timers, and builders of
//! the responses and requests a Kamailio/Asterisk pair would send.
#![allow(dead_code)] // each test file uses a different part

use agentbar_sip::{CallId, Command, Config, Event, Input, Message, Output, TimerId, UserAgent};
use std::collections::BTreeMap;

pub const AOR: &str = "sip:1001@pbx.example.com";
pub const PASSWORD: &str = "s3cret";

/// WebRTC SDP as Chrome offers it (trimmed to what matters).
pub const CHROME_OFFER: &str = "v=0\r\n\
o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n\
s=-\r\n\
t=0 0\r\n\
a=group:BUNDLE 0\r\n\
a=msid-semantic: WMS 6a1f\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 126\r\n\
c=IN IP4 0.0.0.0\r\n\
a=rtcp:9 IN IP4 0.0.0.0\r\n\
a=ice-ufrag:kX4s\r\n\
a=ice-pwd:ZbcsqF8uK7RAaRzOG5bYtVVg\r\n\
a=ice-options:trickle\r\n\
a=fingerprint:sha-256 9A:7C:1B:6E:3E:44:0D:9F:61:B4:7D:55:02:0A:17:8E:AE:54:6C:31:5D:70:39:E2:1C:C6:2D:88:4F:E0:0B:37\r\n\
a=setup:actpass\r\n\
a=mid:0\r\n\
a=sendrecv\r\n\
a=rtcp-mux\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=fmtp:111 minptime=10;useinbandfec=1\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:126 telephone-event/8000\r\n\
a=candidate:1467250027 1 udp 2122260223 192.168.1.20 51310 typ host generation 0\r\n";

/// What rtpengine answers or offers on the PBX side.
pub const RTPENGINE_SDP: &str = "v=0\r\n\
o=root 1193318737 1193318737 IN IP4 203.0.113.10\r\n\
s=Asterisk PBX 20.5.0\r\n\
c=IN IP4 203.0.113.10\r\n\
t=0 0\r\n\
m=audio 30000 UDP/TLS/RTP/SAVPF 111 0 8 101\r\n\
a=mid:0\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=sendrecv\r\n\
a=rtcp-mux\r\n\
a=setup:actpass\r\n\
a=fingerprint:sha-256 4F:13:C2:9A:70:6E:1D:C8:55:2B:0E:AA:91:3C:7D:86:F0:4B:2E:19:D3:65:A8:7F:0C:E4:59:B1:26:3A:8D:C7\r\n\
a=ice-ufrag:Zk3d1x9A\r\n\
a=ice-pwd:1n2Uq8wS0pQeTw6m0gR2aV\r\n\
a=candidate:Hq0ZfP1n7sRkB5xW 1 UDP 2130706431 203.0.113.10 30000 typ host\r\n\
a=end-of-candidates\r\n";

/// The UA, a clock and the timers it asked for.
pub struct Harness {
    pub ua: UserAgent,
    pub now: u64,
    pub timers: BTreeMap<TimerId, u64>,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with_config(Config::new(AOR, PASSWORD))
    }

    pub fn with_config(cfg: Config) -> Harness {
        Harness { ua: UserAgent::new(cfg, 42), now: 1_000, timers: BTreeMap::new() }
    }

    pub fn step(&mut self, input: Input<'_>) -> Step {
        let out = self.ua.handle(input, self.now);
        for o in &out {
            match o {
                Output::SetTimer { id, at_ms } => {
                    assert!(*at_ms >= self.now);
                    self.timers.insert(*id, *at_ms);
                }
                Output::CancelTimer(id) => {
                    self.timers.remove(id);
                }
                _ => {}
            }
        }
        Step(out)
    }

    pub fn frame(&mut self, f: &str) -> Step {
        self.step(Input::Frame(f))
    }

    pub fn cmd(&mut self, c: Command) -> Step {
        self.step(Input::Command(c))
    }

    /// Moves the clock by `ms`, firing due timers in order; returns all their outputs.
    pub fn advance(&mut self, ms: u64) -> Step {
        let end = self.now + ms;
        let mut all = Vec::new();
        loop {
            let due = self
                .timers
                .iter()
                .filter(|(_, &at)| at <= end)
                .min_by_key(|(_, &at)| at)
                .map(|(&id, &at)| (id, at));
            let Some((id, at)) = due else { break };
            self.timers.remove(&id);
            self.now = at;
            all.extend(self.step(Input::Timer(id)).0);
        }
        self.now = end;
        Step(all)
    }

    /// Connected and registered (401 challenge, then 200); returns the last REGISTER.
    pub fn registered(&mut self) -> String {
        self.step(Input::Connected);
        let reg = self.cmd(Command::Register).one_frame();
        let ch = r#"Digest realm="pbx.example.com", nonce="Zk3T1WZN0qnJ0q1hQ2Gm3n0yq7o8Zk3T", qop="auth""#;
        let again = self
            .frame(&reply(&reg, 401, "Unauthorized", Some("kam1"), &hdr("WWW-Authenticate", ch), ""))
            .one_frame();
        let ok = self.frame(&reply(&again, 200, "OK", Some("kam1"), &contact_of(&again, 600), ""));
        assert_eq!(ok.events(), vec![Event::Registered { expires: 600 }]);
        again
    }

    /// An established outgoing call (no auth, one Record-Route); returns (call, INVITE).
    pub fn outgoing_established(&mut self) -> (CallId, String) {
        let s = self.cmd(Command::Call {
            target: "1002".into(),
            sdp_offer: CHROME_OFFER.into(),
            headers: vec![],
        });
        let call = s.dialing();
        let invite = s.one_frame();
        let extra =
            "Contact: <sip:1002@10.0.0.31:5060>\r\nRecord-Route: <sip:203.0.113.10;transport=ws;lr>\r\n";
        let ok = self.frame(&reply(&invite, 200, "OK", Some("b2b"), &sdp_headers(extra), RTPENGINE_SDP));
        assert!(matches!(ok.events()[..], [Event::Answered { .. }]));
        (call, invite)
    }

    /// An established incoming call; returns (call, INVITE as received, our 200).
    pub fn incoming_established(&mut self) -> (CallId, String, String) {
        let inv = kamailio_invite("inc-1", RTPENGINE_SDP);
        let call = self.frame(&inv).incoming();
        let ok = self.cmd(Command::Answer { call, sdp_answer: CHROME_OFFER.into() }).one_frame();
        let ack = in_dialog_request("ACK", &inv, &ok, 102, "");
        assert_eq!(self.frame(&ack).events(), vec![Event::Confirmed { call, sdp: None }]);
        (call, inv, ok)
    }
}

/// The outputs of one step, with accessors.
#[derive(Debug, Clone)]
pub struct Step(pub Vec<Output>);

impl Step {
    pub fn frames(&self) -> Vec<String> {
        self.0.iter().filter_map(|o| if let Output::Send(f) = o { Some(f.clone()) } else { None }).collect()
    }

    pub fn events(&self) -> Vec<Event> {
        self.0.iter().filter_map(|o| if let Output::Event(e) = o { Some(e.clone()) } else { None }).collect()
    }

    /// Nothing sent, nothing reported (timer bookkeeping aside).
    pub fn quiet(&self) -> bool {
        self.frames().is_empty() && self.events().is_empty()
    }

    #[track_caller]
    pub fn one_frame(&self) -> String {
        let f = self.frames();
        assert_eq!(f.len(), 1, "expected one frame, got {f:#?}");
        f[0].clone()
    }

    #[track_caller]
    pub fn dialing(&self) -> CallId {
        match self.events().first() {
            Some(Event::Dialing { call, .. }) => *call,
            other => panic!("no Dialing: {other:?}"),
        }
    }

    #[track_caller]
    pub fn incoming(&self) -> CallId {
        match self.events().first() {
            Some(Event::IncomingCall { call, .. }) => *call,
            other => panic!("no IncomingCall: {other:?}"),
        }
    }
}

pub fn hdr(name: &str, value: &str) -> String {
    format!("{name}: {value}\r\n")
}

pub fn sdp_headers(extra: &str) -> String {
    format!("{extra}Content-Type: application/sdp\r\n")
}

/// The value of `name` in a frame (first line of it).
#[track_caller]
pub fn header(frame: &str, name: &str) -> String {
    Message::parse(frame)
        .expect("parses")
        .header(name)
        .unwrap_or_else(|| panic!("no {name} in {frame}"))
        .to_string()
}

#[track_caller]
pub fn start_line(frame: &str) -> &str {
    frame.split("\r\n").next().unwrap()
}

/// A response to `req` as a server would write it: its Vias, From, To (plus `to_tag`),
/// Call-ID and CSeq, then `extra` lines and `body`.
pub fn reply(req: &str, code: u16, reason: &str, to_tag: Option<&str>, extra: &str, body: &str) -> String {
    let m = Message::parse(req).expect("request parses");
    let mut s = format!("SIP/2.0 {code} {reason}\r\n");
    for h in &m.headers {
        match h.name {
            "Via" => {
                // What Kamailio adds for a WebSocket client.
                let v = if h.value.contains(".invalid") && !h.value.contains("received") {
                    h.value.replacen(";branch", ";received=203.0.113.7;rport=52144;branch", 1)
                } else {
                    h.value.to_string()
                };
                s += &hdr("Via", &v);
            }
            "From" | "Call-ID" | "CSeq" => s += &hdr(h.name, h.value),
            "To" => match to_tag {
                Some(t) if m.to.tag().is_none() => s += &hdr("To", &format!("{};tag={t}", h.value)),
                _ => s += &hdr("To", h.value),
            },
            _ => {}
        }
    }
    s += "Server: kamailio (5.6.3 (x86_64/linux))\r\n";
    s += extra;
    s += &format!("Content-Length: {}\r\n\r\n{body}", body.len());
    s
}

/// The Contact line a registrar returns for the binding in `register`.
pub fn contact_of(register: &str, expires: u32) -> String {
    let c = header(register, "Contact");
    let uri = c.split('>').next().unwrap().trim_start_matches('<');
    let instance = c.split("+sip.instance=").nth(1).unwrap().split(';').next().unwrap();
    format!(
        "Contact: <sip:1001@198.51.100.2:5060>;expires=3600, <{uri}>;expires={expires};+sip.instance={instance};reg-id=1\r\n"
    )
}

/// An INVITE as Kamailio relays it from an Asterisk/rtpengine PBX to the registered
/// WebSocket contact (two Record-Routes: ws side and udp side).
pub fn kamailio_invite(call_id: &str, sdp: &str) -> String {
    let body = sdp;
    format!(
        "INVITE sip:q3kevn6v@7f2n2skq4t1b.invalid;transport=ws SIP/2.0\r\n\
Record-Route: <sip:203.0.113.10:8443;transport=ws;r2=on;lr=on;ftag=as5f3c2b1a;nat=yes>\r\n\
Record-Route: <sip:203.0.113.10;r2=on;lr=on;ftag=as5f3c2b1a;nat=yes>\r\n\
Via: SIP/2.0/WSS 203.0.113.10:8443;branch=z9hG4bK1b6d.9e1c5a3d6bf3e2fbb26b2a0d2b1c4e11.0\r\n\
Via: SIP/2.0/UDP 10.0.0.20:5060;rport=5060;branch=z9hG4bK0e2f5a3b\r\n\
Max-Forwards: 69\r\n\
From: \"13800000000\" <sip:13800000000@10.0.0.20>;tag=as5f3c2b1a\r\n\
To: <sip:1001@pbx.example.com>\r\n\
Contact: <sip:13800000000@10.0.0.20:5060>\r\n\
Call-ID: {call_id}\r\n\
CSeq: 102 INVITE\r\n\
User-Agent: Asterisk PBX 20.5.0\r\n\
Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH, MESSAGE\r\n\
Supported: replaces, timer\r\n\
X-CallId: 20261121-000123\r\n\
X-Queue: support\r\n\
Call-Info: <http://crm.example.com/case/4711>;purpose=info\r\n\
P-Asserted-Identity: \"Customer\" <sip:13800000000@10.0.0.20>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// A request from the far end inside the dialog that `invite` (theirs) and our `answer`
/// formed: their From, our To (with our tag), their Call-ID.
pub fn in_dialog_request(method: &str, invite: &str, answer: &str, cseq: u32, body: &str) -> String {
    let ct = if body.is_empty() {
        String::new()
    } else if method == "INFO" {
        "Content-Type: application/dtmf-relay\r\n".into()
    } else {
        "Content-Type: application/sdp\r\n".into()
    };
    format!(
        "{method} sip:q3kevn6v@7f2n2skq4t1b.invalid;transport=ws SIP/2.0\r\n\
Via: SIP/2.0/WSS 203.0.113.10:8443;branch=z9hG4bK{method}{cseq}x\r\n\
Max-Forwards: 69\r\n\
From: {}\r\n\
To: {}\r\n\
Call-ID: {}\r\n\
CSeq: {cseq} {method}\r\n\
Contact: <sip:13800000000@10.0.0.20:5060>\r\n\
{ct}Content-Length: {}\r\n\r\n{body}",
        header(invite, "From"),
        header(answer, "To"),
        header(invite, "Call-ID"),
        body.len()
    )
}

/// A request from the far end inside the dialog of our outgoing `invite`, whose 2xx carried
/// `to_tag`.
pub fn request_to_us(method: &str, invite: &str, to_tag: &str, cseq: u32, extra: &str, body: &str) -> String {
    format!(
        "{method} sip:q3kevn6v@7f2n2skq4t1b.invalid;transport=ws SIP/2.0\r\n\
Via: SIP/2.0/WSS 203.0.113.10:8443;branch=z9hG4bKr{method}{cseq}\r\n\
From: {};tag={to_tag}\r\n\
To: {}\r\n\
Call-ID: {}\r\n\
CSeq: {cseq} {method}\r\n\
Contact: <sip:1002@10.0.0.31:5060>\r\n\
{extra}Content-Length: {}\r\n\r\n{body}",
        header(invite, "To"),
        header(invite, "From"),
        header(invite, "Call-ID"),
        body.len()
    )
}

/// (the `response` in the credentials `header_value`, the one a server computes for them
/// with `password`), computed here independently of the crate's digest module.
pub fn expected_response(header_value: &str, method: &str, password: &str) -> (String, String) {
    use md5::{Digest, Md5};
    let get = |k: &str| {
        agentbar_sip::hdr::list(header_value.strip_prefix("Digest ").unwrap())
            .find_map(|p| {
                p.split_once('=').filter(|(n, _)| n.trim() == k).map(|(_, v)| v.trim_matches('"').to_string())
            })
            .unwrap_or_default()
    };
    let hex = |s: String| Md5::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>();
    let ha1 = hex(format!("{}:{}:{password}", get("username"), get("realm")));
    let ha2 = hex(format!("{method}:{}", get("uri")));
    let expected = if get("qop").is_empty() {
        hex(format!("{ha1}:{}:{ha2}", get("nonce")))
    } else {
        hex(format!("{ha1}:{}:{}:{}:{}:{ha2}", get("nonce"), get("nc"), get("cnonce"), get("qop")))
    };
    (get("response"), expected)
}
