//! SIP messages as they travel in WebSocket text frames: parsing and serialization.
//!
//! Covered: RFC 3261 §7 (start line, headers, body) for one message per frame (RFC 7118 §5),
//! `Content-Length` honoured when present (the frame delimits the message when it is not),
//! case-insensitive header names, the compact forms of §7.3.3 (`v f t i m l c k` and `e s o r b
//! u x`), bare-LF line ends, keep-alive CRLFs before the start line. Parsing borrows from the
//! frame and checks what every UA needs to answer or match a message (top Via, From, To,
//! Call-ID, CSeq); anything else is read on demand through [`Message::header`] and friends.
//! Not covered: header folding (deprecated by RFC 3261 §7.3.1; rejected), multipart bodies,
//! `Content-Encoding`, frames above [`MAX_FRAME`] bytes.

use crate::hdr::{self, CSeq, Challenge, NameAddr, Via};

/// Larger frames are refused: a WebRTC INVITE is a few KB, and a bound keeps a hostile peer
/// from making the parser allocate without limit.
pub const MAX_FRAME: usize = 64 * 1024;

/// Why a frame is not a usable SIP message; the text names the part that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseError(pub &'static str);

impl core::fmt::Display for ParseError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("malformed SIP message: ")?;
        f.write_str(self.0)
    }
}

impl std::error::Error for ParseError {}

/// The methods this user agent sends or answers; anything else is [`Method::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Register,
    Options,
    Info,
    Update,
    Other,
}

impl Method {
    /// Methods are case-sensitive (RFC 3261 §7.1).
    pub fn parse(s: &str) -> Method {
        match s {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "REGISTER" => Method::Register,
            "OPTIONS" => Method::Options,
            "INFO" => Method::Info,
            "UPDATE" => Method::Update,
            _ => Method::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Register => "REGISTER",
            Method::Options => "OPTIONS",
            Method::Info => "INFO",
            Method::Update => "UPDATE",
            Method::Other => "",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// The method as written (see [`Method::parse`]) and the Request-URI.
    Request {
        method: &'a str,
        uri: &'a str,
    },
    Response {
        code: u16,
        reason: &'a str,
    },
}

/// One header line; `name` is the long form when the message used a compact one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    pub name: &'a str,
    pub value: &'a str,
}

/// A parsed message, borrowing from the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    pub start: StartLine<'a>,
    /// In order, including those parsed into the fields below.
    pub headers: Vec<Header<'a>>,
    pub body: &'a str,
    /// The topmost Via value.
    pub via: Via<'a>,
    pub from: NameAddr<'a>,
    pub to: NameAddr<'a>,
    pub call_id: &'a str,
    pub cseq: CSeq<'a>,
}

impl<'a> Message<'a> {
    /// Parses one frame. Never panics; every malformed input is an `Err`.
    pub fn parse(frame: &'a str) -> Result<Message<'a>, ParseError> {
        if frame.len() > MAX_FRAME {
            return Err(ParseError("frame too large"));
        }
        let frame = frame.trim_start_matches(['\r', '\n']);
        if frame.is_empty() {
            return Err(ParseError("empty frame"));
        }
        let (head, rest) = split_head(frame);
        let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let start = parse_start(lines.next().unwrap_or(""))?;
        let mut headers = Vec::with_capacity(16);
        for line in lines {
            if line.starts_with([' ', '\t']) {
                return Err(ParseError("folded header"));
            }
            let (name, value) = line.split_once(':').ok_or(ParseError("header line"))?;
            let name = name.trim_end();
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                return Err(ParseError("header name"));
            }
            headers.push(Header { name: expand(name), value: value.trim() });
        }
        let find = |name: &str| headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value);
        let body = match find("Content-Length") {
            Some(l) => {
                let len = hdr::parse_u32(l).ok_or(ParseError("Content-Length"))? as usize;
                rest.get(..len).ok_or(ParseError("body shorter than Content-Length"))?
            }
            None => rest,
        };
        let via = Via::parse(find("Via").and_then(|v| hdr::list(v).next()).ok_or(ParseError("no Via"))?)?;
        let from = NameAddr::parse(find("From").ok_or(ParseError("no From"))?)?;
        let to = NameAddr::parse(find("To").ok_or(ParseError("no To"))?)?;
        let call_id = find("Call-ID").filter(|c| !c.is_empty()).ok_or(ParseError("no Call-ID"))?;
        let cseq = CSeq::parse(find("CSeq").ok_or(ParseError("no CSeq"))?)?;
        Ok(Message { start, headers, body, via, from, to, call_id, cseq })
    }

    /// The method of a request, `None` for a response.
    pub fn method(&self) -> Option<Method> {
        match self.start {
            StartLine::Request { method, .. } => Some(Method::parse(method)),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code of a response, `None` for a request.
    pub fn status(&self) -> Option<u16> {
        match self.start {
            StartLine::Response { code, .. } => Some(code),
            StartLine::Request { .. } => None,
        }
    }

    /// The first value of header `name` (long form, any case).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers_named(name).next()
    }

    /// Every line's value of header `name`, in order.
    pub fn headers_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.headers.iter().filter(move |h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value)
    }

    /// The comma-separated elements of every line of header `name` (Via, Route,
    /// Record-Route, Contact, Allow…), in order.
    pub fn list<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.headers_named(name).flat_map(hdr::list)
    }

    /// The Contact values that parse (a `*` Contact has the URI `*`).
    pub fn contacts<'s>(&'s self) -> impl Iterator<Item = NameAddr<'a>> + 's {
        self.list("Contact").filter_map(|c| NameAddr::parse(c).ok())
    }

    /// The `Expires` header as seconds.
    pub fn expires(&self) -> Option<u32> {
        self.header("Expires").and_then(hdr::parse_u32)
    }

    /// The challenge this user agent can answer: from Proxy-Authenticate on a 407,
    /// WWW-Authenticate otherwise, the first offering MD5 or MD5-sess (RFC 7616 §3.7 lets a
    /// server offer several algorithms, one header each).
    pub fn challenge(&self) -> Option<Challenge<'a>> {
        let name = if self.status() == Some(407) { "Proxy-Authenticate" } else { "WWW-Authenticate" };
        self.headers_named(name).filter_map(|v| Challenge::parse(v).ok()).find(|c| {
            c.algorithm.is_none_or(|a| a.eq_ignore_ascii_case("MD5") || a.eq_ignore_ascii_case("MD5-sess"))
        })
    }

    /// The media type of the body, without parameters, e.g. `application/sdp`.
    pub fn content_type(&self) -> Option<&'a str> {
        self.header("Content-Type").map(|c| c.split(';').next().unwrap_or(c).trim())
    }

    /// Whether the body is of media type `ty` (case-insensitive).
    pub fn body_is(&self, ty: &str) -> bool {
        !self.body.is_empty() && self.content_type().is_some_and(|c| c.eq_ignore_ascii_case(ty))
    }

    /// The message as a frame: headers in their order (long names), a Content-Length added
    /// when there was none, then the body.
    pub fn to_text(&self) -> String {
        let mut s = String::with_capacity(512 + self.body.len());
        match self.start {
            StartLine::Request { method, uri } => request_line(&mut s, method, uri),
            StartLine::Response { code, reason } => {
                s.push_str("SIP/2.0 ");
                push_num(&mut s, code.into());
                s.push(' ');
                s.push_str(reason);
                s.push_str("\r\n");
            }
        }
        for h in &self.headers {
            header(&mut s, h.name, h.value);
        }
        if self.header("Content-Length").is_none() {
            s.push_str("Content-Length: ");
            push_num(&mut s, self.body.len() as u64);
            s.push_str("\r\n");
        }
        s.push_str("\r\n");
        s.push_str(self.body);
        s
    }
}

/// Splits at the first empty line; a frame without one is all head.
fn split_head(frame: &str) -> (&str, &str) {
    let crlf = frame.find("\r\n\r\n").map(|i| (i, i + 4));
    let lf = frame.find("\n\n").map(|i| (i, i + 2));
    match (crlf, lf) {
        (Some(a), Some(b)) if b.0 < a.0 => (&frame[..b.0], &frame[b.1..]),
        (Some((h, b)), _) | (None, Some((h, b))) => (&frame[..h], &frame[b..]),
        (None, None) => (frame.trim_end_matches(['\r', '\n']), ""),
    }
}

fn parse_start(line: &str) -> Result<StartLine<'_>, ParseError> {
    if let Some(rest) = line.get(..8).filter(|v| v.eq_ignore_ascii_case("SIP/2.0 ")).and(line.get(8..)) {
        let bad = ParseError("status line");
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        let code = hdr::parse_u32(code).filter(|c| (100..700).contains(c) && code.len() == 3).ok_or(bad)?;
        return Ok(StartLine::Response { code: code as u16, reason: reason.trim() });
    }
    let bad = ParseError("request line");
    let mut parts = line.split(' ');
    let (method, uri, version) = (parts.next(), parts.next(), parts.next());
    match (method, uri, version, parts.next()) {
        (Some(method), Some(uri), Some(v), None)
            if !method.is_empty()
                && method.bytes().all(is_token_byte)
                && uri.contains(':')
                && v.eq_ignore_ascii_case("SIP/2.0") =>
        {
            Ok(StartLine::Request { method, uri })
        }
        _ => Err(bad),
    }
}

/// RFC 3261 §25.1 `token` characters.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// The long form of a compact header name (RFC 3261 §7.3.3, RFC 3515, RFC 4028…).
fn expand(name: &str) -> &str {
    if name.len() != 1 {
        return name;
    }
    match name.as_bytes()[0].to_ascii_lowercase() {
        b'v' => "Via",
        b'f' => "From",
        b't' => "To",
        b'i' => "Call-ID",
        b'm' => "Contact",
        b'l' => "Content-Length",
        b'c' => "Content-Type",
        b'k' => "Supported",
        b'e' => "Content-Encoding",
        b's' => "Subject",
        b'o' => "Event",
        b'r' => "Refer-To",
        b'b' => "Referred-By",
        b'u' => "Allow-Events",
        b'x' => "Session-Expires",
        _ => name,
    }
}

/// The reason phrase this user agent sends with `code`.
pub fn reason_phrase(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        183 => "Session Progress",
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        415 => "Unsupported Media Type",
        420 => "Bad Extension",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        484 => "Address Incomplete",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        600 => "Busy Everywhere",
        603 => "Decline",
        _ => "Unknown",
    }
}

// Writers for outgoing messages. Plain `push_str` rather than `format!`: the toolbar's wasm
// size is its weakest figure, and these keep the formatting machinery out of this crate.

pub(crate) fn request_line(s: &mut String, method: &str, uri: &str) {
    s.push_str(method);
    s.push(' ');
    s.push_str(uri);
    s.push_str(" SIP/2.0\r\n");
}

pub(crate) fn header(s: &mut String, name: &str, value: &str) {
    s.push_str(name);
    s.push_str(": ");
    s.push_str(value);
    s.push_str("\r\n");
}

/// Content-Type (with a body), Content-Length, the empty line and the body.
pub(crate) fn finish(s: &mut String, content_type: &str, body: &str) {
    if !body.is_empty() {
        header(s, "Content-Type", content_type);
    }
    s.push_str("Content-Length: ");
    push_num(s, body.len() as u64);
    s.push_str("\r\n\r\n");
    s.push_str(body);
}

pub(crate) fn push_num(s: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        s.push(d as char);
    }
}

pub(crate) fn push_hex(s: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &str = "OPTIONS sip:abc@def.invalid;transport=ws SIP/2.0\r\n\
        v: SIP/2.0/WSS 10.0.0.1:8443;branch=z9hG4bK1\r\n\
        f: <sip:kamailio@10.0.0.1>;tag=a\r\n\
        t: <sip:abc@def.invalid>\r\n\
        i: ping-1\r\n\
        CSEQ: 10 OPTIONS\r\n\
        l: 0\r\n\r\n";

    #[test]
    fn compact_forms_and_case() {
        let m = Message::parse(OPTIONS).unwrap();
        assert_eq!(m.method(), Some(Method::Options));
        assert_eq!(m.call_id, "ping-1");
        assert_eq!(m.cseq, CSeq { seq: 10, method: "OPTIONS" });
        assert_eq!(m.header("call-id"), Some("ping-1"));
        assert_eq!(m.headers[0].name, "Via");
        assert_eq!(m.body, "");
    }

    #[test]
    fn content_length_bounds_the_body() {
        let f = OPTIONS.replace("l: 0", "l: 4") + "v=0\r\ntrailing";
        assert_eq!(Message::parse(&f).unwrap().body, "v=0\r");
        let f = OPTIONS.replace("l: 0", "l: 40") + "short";
        assert!(Message::parse(&f).is_err());
        let f = OPTIONS.replace("l: 0\r\n", "") + "all of it";
        assert_eq!(Message::parse(&f).unwrap().body, "all of it");
        let f = OPTIONS.replace("l: 0", "l: 1") + "é";
        assert!(Message::parse(&f).is_err(), "a length inside a UTF-8 character");
    }

    #[test]
    fn roundtrip() {
        let m = Message::parse(OPTIONS).unwrap();
        let again = m.to_text();
        assert_eq!(Message::parse(&again).unwrap(), m);
    }

    #[test]
    fn bad_start_lines() {
        for l in [
            "SIP/2.0 99 Low",
            "SIP/2.0 2000 OK",
            "SIP/2.0 abc",
            "INVITE sip:x SIP/3.0",
            "INVITE  SIP/2.0",
            "INV ITE sip:x@y SIP/2.0",
            "INVITE sip:x@y SIP/2.0 extra",
        ] {
            assert!(parse_start(l).is_err(), "{l}");
        }
        assert_eq!(parse_start("SIP/2.0 200").unwrap(), StartLine::Response { code: 200, reason: "" });
    }

    #[test]
    fn folding_and_missing_headers_are_errors() {
        assert!(Message::parse(&OPTIONS.replace("i: ping-1\r\n", "i: ping-1\r\n  more\r\n")).is_err());
        assert!(Message::parse(&OPTIONS.replace("i: ping-1\r\n", "")).is_err());
        assert!(Message::parse(&OPTIONS.replace("CSEQ: 10 OPTIONS", "CSeq: x")).is_err());
        assert!(Message::parse("\r\n\r\n").is_err());
    }

    #[test]
    fn numbers() {
        let mut s = String::new();
        push_num(&mut s, 0);
        s.push(' ');
        push_num(&mut s, u64::MAX);
        push_hex(&mut s, &[0, 0xAB]);
        assert_eq!(s, "0 1844674407370955161500ab");
    }
}
