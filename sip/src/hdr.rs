//! Typed views of the header values a user agent reads, borrowed from the frame.
//!
//! Covered (RFC 3261 §20, §25.1 grammar, leniently): Via (sent-by, branch, received, rport),
//! name-addr / addr-spec with header parameters (From, To, Contact, Route, Record-Route),
//! CSeq, and the Digest challenge of WWW-/Proxy-Authenticate (RFC 7616 §3.3). Lists are split
//! on commas outside quotes and angle brackets. URIs are kept as text with small helpers for
//! the user part, host and `;param`s; no URI escaping is undone (a UA only compares and
//! copies them). Not covered: header folding, comments in Via, IPv6 references in sent-by
//! beyond copying them.

use crate::msg::ParseError;

/// Splits a header value on commas that are outside quoted strings and `<…>`.
#[derive(Debug, Clone)]
pub struct List<'a> {
    rest: &'a str,
}

/// The comma-separated elements of a header value (Via, Route, Contact, challenge params…).
pub fn list(value: &str) -> List<'_> {
    List { rest: value }
}

impl<'a> Iterator for List<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let (mut quoted, mut angle, mut escaped) = (false, false, false);
            let mut end = self.rest.len();
            for (i, c) in self.rest.char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' if quoted => escaped = true,
                    '"' => quoted = !quoted,
                    '<' if !quoted => angle = true,
                    '>' if !quoted => angle = false,
                    ',' if !quoted && !angle => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            let item = self.rest[..end].trim();
            self.rest = self.rest.get(end + 1..).unwrap_or("");
            if !item.is_empty() {
                return Some(item);
            }
        }
    }
}

/// Strips one pair of surrounding double quotes. Escapes are left as they are: the values a
/// UA reads (nonce, realm, instance ids) are copied back verbatim.
pub fn unquote(s: &str) -> &str {
    let s = s.trim();
    match s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => inner,
        None => s,
    }
}

/// Looks `name` up (case-insensitively) in `;a=b;c` parameters. A flag parameter gives
/// `Some("")`; quoted values are unquoted.
pub fn param<'a>(params: &'a str, name: &str) -> Option<&'a str> {
    params.split(';').find_map(|p| {
        let (k, v) = match p.split_once('=') {
            Some((k, v)) => (k, unquote(v)),
            None => (p, ""),
        };
        k.trim().eq_ignore_ascii_case(name).then_some(v)
    })
}

/// One Via value: `SIP/2.0/WSS host:port;branch=z9hG4bK…;received=…;rport=…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    /// `UDP`, `TCP`, `WS`, `WSS`…
    pub transport: &'a str,
    pub sent_by: &'a str,
    /// Everything from the first `;`, with it.
    pub params: &'a str,
}

impl<'a> Via<'a> {
    pub fn parse(value: &'a str) -> Result<Via<'a>, ParseError> {
        let bad = ParseError("Via");
        let value = value.trim();
        let (proto, rest) = value.split_once(|c: char| c.is_ascii_whitespace()).ok_or(bad)?;
        let transport = proto
            .get(..8)
            .filter(|p| p.eq_ignore_ascii_case("SIP/2.0/"))
            .and_then(|_| proto.get(8..))
            .filter(|t| !t.is_empty())
            .ok_or(bad)?;
        let rest = rest.trim_start();
        let (sent_by, params) = rest.find(';').map_or((rest, ""), |i| rest.split_at(i));
        let sent_by = sent_by.trim();
        if sent_by.is_empty() || sent_by.contains(char::is_whitespace) {
            return Err(bad);
        }
        Ok(Via { transport, sent_by, params })
    }

    pub fn branch(&self) -> Option<&'a str> {
        param(self.params, "branch")
    }

    pub fn received(&self) -> Option<&'a str> {
        param(self.params, "received")
    }

    /// `Some("")` when the request asked for rport (RFC 3581) and no proxy filled it in.
    pub fn rport(&self) -> Option<&'a str> {
        param(self.params, "rport")
    }
}

/// `"Display" <uri>;params`, `Display <uri>;params` or `uri;params` (then the parameters are
/// header parameters, RFC 3261 §20.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// Without quotes; `None` when absent or empty.
    pub display: Option<&'a str>,
    pub uri: &'a str,
    /// Everything after the URI (or `>`), from the first `;`.
    pub params: &'a str,
}

impl<'a> NameAddr<'a> {
    pub fn parse(value: &'a str) -> Result<NameAddr<'a>, ParseError> {
        let bad = ParseError("name-addr");
        let v = value.trim();
        let (display, rest) = if let Some(q) = v.strip_prefix('"') {
            let mut escaped = false;
            let end = q
                .char_indices()
                .find(|&(_, c)| {
                    let close = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    close
                })
                .map(|(i, _)| i)
                .ok_or(bad)?;
            (Some(&q[..end]), q[end + 1..].trim_start())
        } else if let Some(lt) = v.find('<') {
            (Some(v[..lt].trim()), &v[lt..])
        } else {
            (None, v)
        };
        let (uri, params) = if let Some(inner) = rest.strip_prefix('<') {
            let gt = inner.find('>').ok_or(bad)?;
            let params = inner[gt + 1..].trim();
            if !(params.is_empty() || params.starts_with(';')) {
                return Err(bad);
            }
            (inner[..gt].trim(), params)
        } else if display.is_some() {
            return Err(bad);
        } else {
            rest.find(';').map_or((rest, ""), |i| rest.split_at(i))
        };
        if uri.is_empty() || uri.contains(|c: char| c.is_ascii_whitespace()) {
            return Err(bad);
        }
        Ok(NameAddr { display: display.filter(|d| !d.is_empty()), uri, params })
    }

    pub fn tag(&self) -> Option<&'a str> {
        self.param("tag")
    }

    pub fn param(&self, name: &str) -> Option<&'a str> {
        param(self.params, name)
    }
}

/// `CSeq: 4711 INVITE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CSeq<'a> {
    pub seq: u32,
    pub method: &'a str,
}

impl<'a> CSeq<'a> {
    pub fn parse(value: &'a str) -> Result<CSeq<'a>, ParseError> {
        let bad = ParseError("CSeq");
        let (n, m) = value.trim().split_once(|c: char| c.is_ascii_whitespace()).ok_or(bad)?;
        let method = m.trim();
        // RFC 3261 §8.1.1.5: the number is below 2^31.
        let seq = parse_u32(n).filter(|&s| s < 1 << 31).ok_or(bad)?;
        if method.is_empty() || method.contains(char::is_whitespace) {
            return Err(bad);
        }
        Ok(CSeq { seq, method })
    }
}

/// A Digest challenge (WWW-Authenticate or Proxy-Authenticate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Challenge<'a> {
    pub realm: &'a str,
    pub nonce: &'a str,
    pub opaque: Option<&'a str>,
    /// As sent (`MD5`, `MD5-sess`, `SHA-256`…); absent means MD5.
    pub algorithm: Option<&'a str>,
    /// The quoted qop-options list, e.g. `auth,auth-int`.
    pub qop: Option<&'a str>,
    /// The previous nonce was good but expired: retry without asking the user (RFC 7616 §3.3).
    pub stale: bool,
}

impl<'a> Challenge<'a> {
    /// Parses `Digest realm="…", nonce="…", …`; other schemes are an error.
    pub fn parse(value: &'a str) -> Result<Challenge<'a>, ParseError> {
        let bad = ParseError("challenge");
        let v = value.trim_start();
        let (scheme, rest) = v.split_once(|c: char| c.is_ascii_whitespace()).ok_or(bad)?;
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(bad);
        }
        let mut c = Challenge::default();
        let mut has_nonce = false;
        for item in list(rest) {
            let Some((k, v)) = item.split_once('=') else { continue };
            let (k, v) = (k.trim(), unquote(v));
            let is = |name: &str| k.eq_ignore_ascii_case(name);
            if is("realm") {
                c.realm = v;
            } else if is("nonce") {
                c.nonce = v;
                has_nonce = true;
            } else if is("opaque") {
                c.opaque = Some(v);
            } else if is("algorithm") {
                c.algorithm = Some(v);
            } else if is("qop") {
                c.qop = Some(v);
            } else if is("stale") {
                c.stale = v.eq_ignore_ascii_case("true");
            }
        }
        if has_nonce {
            Ok(c)
        } else {
            Err(bad)
        }
    }
}

/// Decimal digits only (no sign, no spaces inside), at most `u32::MAX`.
pub fn parse_u32(s: &str) -> Option<u32> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The user part of `sip:user@host…`, if any.
pub fn uri_user(uri: &str) -> Option<&str> {
    let rest = uri.split_once(':')?.1;
    let at = rest.find('@')?;
    let user = &rest[..at];
    Some(user.split_once(':').map_or(user, |(u, _)| u))
}

/// The `host[:port]` of `sip:user@host:port;params?headers`.
pub fn uri_host(uri: &str) -> &str {
    let rest = uri.split_once(':').map_or(uri, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    rest.split([';', '?']).next().unwrap_or(rest)
}

/// A URI parameter (`;lr`, `;transport=ws`), case-insensitive; `Some("")` for flags.
pub fn uri_param<'a>(uri: &'a str, name: &str) -> Option<&'a str> {
    let uri = uri.split('?').next().unwrap_or(uri);
    let params = &uri[uri.find(';')?..];
    param(params, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_respects_quotes_and_brackets() {
        let v: Vec<_> = list(r#""Doe, John" <sip:j@x;a=b,c>;p=1 , <sip:k@y>,, "a\"," <sip:z@z>"#).collect();
        assert_eq!(v, [r#""Doe, John" <sip:j@x;a=b,c>;p=1"#, "<sip:k@y>", r#""a\"," <sip:z@z>"#]);
    }

    #[test]
    fn via_fields() {
        let v = Via::parse("SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKabc;rport=5060;received=1.2.3.4")
            .unwrap();
        assert_eq!(v.transport, "WSS");
        assert_eq!(v.sent_by, "df7jal23ls0d.invalid");
        assert_eq!(v.branch(), Some("z9hG4bKabc"));
        assert_eq!(v.rport(), Some("5060"));
        assert_eq!(v.received(), Some("1.2.3.4"));
        assert_eq!(Via::parse("SIP/2.0/UDP h;rport").unwrap().rport(), Some(""));
        assert!(Via::parse("SIP/2.0/ h").is_err());
        assert!(Via::parse("HTTP/1.1/TCP h").is_err());
        assert!(Via::parse("SIP/2.0/UDP").is_err());
    }

    #[test]
    fn name_addr_forms() {
        let n =
            NameAddr::parse(r#""Alice \"A\"" <sip:alice@atlanta.com;transport=ws>;tag=1928301774"#).unwrap();
        assert_eq!(n.display, Some(r#"Alice \"A\""#));
        assert_eq!(n.uri, "sip:alice@atlanta.com;transport=ws");
        assert_eq!(n.tag(), Some("1928301774"));
        let n = NameAddr::parse("Bob <sip:bob@b.com>").unwrap();
        assert_eq!((n.display, n.uri, n.tag()), (Some("Bob"), "sip:bob@b.com", None));
        let n = NameAddr::parse("sip:carol@c.com;tag=x").unwrap();
        assert_eq!((n.display, n.uri, n.tag()), (None, "sip:carol@c.com", Some("x")));
        let n = NameAddr::parse("<sip:d@d.com>;expires=600;+sip.instance=\"<urn:uuid:1>\"").unwrap();
        assert_eq!(n.param("Expires"), Some("600"));
        assert_eq!(n.param("+sip.instance"), Some("<urn:uuid:1>"));
        assert!(NameAddr::parse("\"unterminated <sip:x@y>").is_err());
        assert!(NameAddr::parse("<sip:x@y").is_err());
        assert!(NameAddr::parse("Name sip:x@y").is_err());
        assert!(NameAddr::parse("").is_err());
    }

    #[test]
    fn cseq_and_numbers() {
        assert_eq!(CSeq::parse(" 42  INVITE ").unwrap(), CSeq { seq: 42, method: "INVITE" });
        assert!(CSeq::parse("INVITE").is_err());
        assert!(CSeq::parse("-1 BYE").is_err());
        assert!(CSeq::parse("2147483648 BYE").is_err());
        assert_eq!(parse_u32("4294967295"), Some(u32::MAX));
        assert_eq!(parse_u32("4294967296"), None);
        assert_eq!(parse_u32("+1"), None);
    }

    #[test]
    fn challenge_fields() {
        let c = Challenge::parse(
            r#"Digest realm="kamailio.org", nonce="Zk2x+GZNsbwA1o1f8d0sR5lH8P5MzXqn", qop="auth,auth-int", opaque="x,y", stale=TRUE, algorithm=MD5"#,
        )
        .unwrap();
        assert_eq!(c.realm, "kamailio.org");
        assert_eq!(c.nonce, "Zk2x+GZNsbwA1o1f8d0sR5lH8P5MzXqn");
        assert_eq!(c.qop, Some("auth,auth-int"));
        assert_eq!(c.opaque, Some("x,y"));
        assert_eq!(c.algorithm, Some("MD5"));
        assert!(c.stale);
        assert!(Challenge::parse(r#"Basic realm="x""#).is_err());
        assert!(Challenge::parse(r#"Digest realm="x""#).is_err());
    }

    #[test]
    fn uri_parts() {
        assert_eq!(uri_user("sip:1001@pbx.example.com:5060;transport=ws"), Some("1001"));
        assert_eq!(uri_user("sip:alice:secret@h"), Some("alice"));
        assert_eq!(uri_user("sip:pbx.example.com"), None);
        assert_eq!(uri_host("sip:1001@pbx.example.com:5060;transport=ws"), "pbx.example.com:5060");
        assert_eq!(uri_host("sip:pbx.example.com?x=y"), "pbx.example.com");
        assert_eq!(uri_param("sip:p.example.com;lr", "lr"), Some(""));
        assert_eq!(uri_param("sip:p.example.com;transport=WS?a=b;c", "c"), None);
        assert_eq!(uri_param("sip:p.example.com", "lr"), None);
    }
}
