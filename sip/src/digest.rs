//! HTTP Digest authentication as SIP uses it (RFC 3261 §22.4 with the computation of
//! RFC 2617 §3.2.2 / RFC 7616 §3.4).
//!
//! Covered: algorithms `MD5` (also when absent) and `MD5-sess`; qop `auth` (preferred),
//! `auth-int` (hash of the body), and the legacy RFC 2069 form without qop; `opaque` echoed;
//! user names quoted with escapes. Not covered: `SHA-256`/`SHA-512-256` (RFC 7616; would need
//! a SHA-2 dependency, and Kamailio, Asterisk and FreeSWITCH all challenge with MD5), `userhash`,
//! `Authentication-Info` checking.

use crate::hdr::Challenge;
use crate::msg::push_hex;
use md5::{Digest, Md5};

/// What one Authorization / Proxy-Authorization value is computed over.
#[derive(Debug, Clone, Copy)]
pub struct DigestRequest<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub method: &'a str,
    /// The Request-URI, exactly as in the request line.
    pub uri: &'a str,
    /// Hashed only for qop `auth-int`.
    pub body: &'a str,
    /// Client nonce; random, from the caller.
    pub cnonce: &'a str,
    /// How many requests used this nonce so far, this one included (starts at 1).
    pub nc: u32,
}

/// The header value answering `ch`, or `None` for an algorithm or qop this crate cannot do.
pub fn authorization(ch: &Challenge<'_>, r: &DigestRequest<'_>) -> Option<String> {
    let sess = match ch.algorithm {
        None => false,
        Some(a) if a.eq_ignore_ascii_case("MD5") => false,
        Some(a) if a.eq_ignore_ascii_case("MD5-sess") => true,
        Some(_) => return None,
    };
    let qop = match ch.qop {
        None => None,
        Some(options) => {
            let has = |q: &str| options.split(',').any(|o| o.trim().eq_ignore_ascii_case(q));
            Some(if has("auth") {
                "auth"
            } else if has("auth-int") {
                "auth-int"
            } else {
                return None;
            })
        }
    };
    let mut nc = String::with_capacity(8);
    push_hex(&mut nc, &r.nc.to_be_bytes());

    let mut ha1 = md5_hex(&[r.username, ch.realm, r.password]);
    if sess {
        ha1 = md5_hex(&[&ha1, ch.nonce, r.cnonce]);
    }
    let ha2 = if qop == Some("auth-int") {
        md5_hex(&[r.method, r.uri, &md5_hex(&[r.body])])
    } else {
        md5_hex(&[r.method, r.uri])
    };
    let response = match qop {
        Some(q) => md5_hex(&[&ha1, ch.nonce, &nc, r.cnonce, q, &ha2]),
        None => md5_hex(&[&ha1, ch.nonce, &ha2]),
    };

    let mut s = String::with_capacity(256);
    s.push_str("Digest username=");
    push_quoted(&mut s, r.username, true);
    s.push_str(", realm=");
    push_quoted(&mut s, ch.realm, false);
    s.push_str(", nonce=");
    push_quoted(&mut s, ch.nonce, false);
    s.push_str(", uri=");
    push_quoted(&mut s, r.uri, true);
    s.push_str(", response=\"");
    s.push_str(&response);
    s.push_str("\", algorithm=");
    s.push_str(ch.algorithm.unwrap_or("MD5"));
    if let Some(q) = qop {
        s.push_str(", cnonce=");
        push_quoted(&mut s, r.cnonce, true);
        s.push_str(", nc=");
        s.push_str(&nc);
        s.push_str(", qop=");
        s.push_str(q);
    }
    if let Some(o) = ch.opaque {
        s.push_str(", opaque=");
        push_quoted(&mut s, o, false);
    }
    Some(s)
}

/// Lower-case hex MD5 of the parts joined by `:`, the shape of every digest hash input.
fn md5_hex(parts: &[&str]) -> String {
    let mut h = Md5::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b":");
        }
        h.update(p.as_bytes());
    }
    let mut s = String::with_capacity(32);
    push_hex(&mut s, &h.finalize());
    s
}

/// A quoted-string. Realm, nonce and opaque go back exactly as the server sent them (they
/// were never unescaped), so only our own values are escaped.
fn push_quoted(s: &mut String, v: &str, escape: bool) {
    s.push('"');
    for c in v.chars() {
        if escape && (c == '"' || c == '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param<'a>(header: &'a str, name: &str) -> &'a str {
        crate::hdr::list(header.strip_prefix("Digest ").unwrap())
            .find_map(|p| p.split_once('=').filter(|(k, _)| k.trim() == name))
            .map(|(_, v)| crate::hdr::unquote(v))
            .unwrap_or_else(|| panic!("no {name} in {header}"))
    }

    #[test]
    fn md5_vectors_of_rfc_1321() {
        assert_eq!(md5_hex(&[""]), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(&["abc"]), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(md5_hex(&["message digest"]), "f96b697d7cb7938d525a2f31aaf161d0");
        assert_eq!(md5_hex(&["a", "b"]), md5_hex(&["a:b"]));
    }

    #[test]
    fn rfc_2617_section_3_5() {
        let ch = Challenge::parse(
            r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        )
        .unwrap();
        let r = DigestRequest {
            username: "Mufasa",
            password: "Circle Of Life",
            method: "GET",
            uri: "/dir/index.html",
            body: "",
            cnonce: "0a4f113b",
            nc: 1,
        };
        let h = authorization(&ch, &r).unwrap();
        assert_eq!(param(&h, "response"), "6629fae49393a05397450978507c4ef1");
        assert_eq!(param(&h, "nc"), "00000001");
        assert_eq!(param(&h, "qop"), "auth");
        assert_eq!(param(&h, "opaque"), "5ccc069c403ebaf9f0171e9517f40e41");
        assert_eq!(param(&h, "username"), "Mufasa");
    }

    #[test]
    fn rfc_7616_section_3_9_1_md5() {
        let ch = Challenge::parse(
            r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#,
        )
        .unwrap();
        let r = DigestRequest {
            username: "Mufasa",
            password: "Circle of Life",
            method: "GET",
            uri: "/dir/index.html",
            body: "",
            cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            nc: 1,
        };
        assert_eq!(param(&authorization(&ch, &r).unwrap(), "response"), "8ca523f5e9506fed4657c9700eebdbec");
    }

    #[test]
    fn without_qop_rfc_2069_form() {
        let ch = Challenge::parse(r#"Digest realm="pbx.example.com", nonce="4f8e6a1c2b""#).unwrap();
        let r = DigestRequest {
            username: "1001",
            password: "s3cret",
            method: "REGISTER",
            uri: "sip:pbx.example.com",
            body: "",
            cnonce: "unused",
            nc: 1,
        };
        let h = authorization(&ch, &r).unwrap();
        assert_eq!(param(&h, "response"), "7a9ed9db23b0c143134a534ce382f436");
        assert!(!h.contains("cnonce") && !h.contains("qop") && !h.contains("opaque"), "{h}");
    }

    #[test]
    fn kamailio_style_challenge_second_use() {
        // Kamailio's auth module: `WWW-Authenticate: Digest realm="…", nonce="…", qop="auth"`.
        let ch = Challenge::parse(
            r#"Digest realm="kamailio.example.com", nonce="Z5x9cWc0HGzQ0a8tHyVmvAnu3d5N+ee7", qop="auth""#,
        )
        .unwrap();
        let r = DigestRequest {
            username: "1001",
            password: "s3cret",
            method: "INVITE",
            uri: "sip:1002@kamailio.example.com",
            body: "v=0\r\n",
            cnonce: "0123abcd",
            nc: 2,
        };
        let h = authorization(&ch, &r).unwrap();
        assert_eq!(param(&h, "response"), "e95a92ed9d568a57bf04543b3d3fcf69");
        assert_eq!(param(&h, "nc"), "00000002");
    }

    #[test]
    fn md5_sess_and_auth_int() {
        let ch =
            Challenge::parse(r#"Digest realm="r", nonce="n", qop="auth-int", algorithm=MD5-sess"#).unwrap();
        let r = DigestRequest {
            username: "u",
            password: "p",
            method: "INFO",
            uri: "sip:x@y",
            body: "Signal=5\r\nDuration=160\r\n",
            cnonce: "c",
            nc: 10,
        };
        let h = authorization(&ch, &r).unwrap();
        assert_eq!(param(&h, "response"), "b1b1555c75b71a22bb959bfe438e2057");
        assert_eq!(param(&h, "algorithm"), "MD5-sess");
        assert_eq!(param(&h, "nc"), "0000000a");
    }

    #[test]
    fn unsupported_algorithm_or_qop() {
        let r = DigestRequest {
            username: "u",
            password: "p",
            method: "M",
            uri: "u",
            body: "",
            cnonce: "c",
            nc: 1,
        };
        let sha = Challenge::parse(r#"Digest realm="r", nonce="n", algorithm=SHA-256"#).unwrap();
        assert_eq!(authorization(&sha, &r), None);
        let q = Challenge::parse(r#"Digest realm="r", nonce="n", qop="auth-conf""#).unwrap();
        assert_eq!(authorization(&q, &r), None);
    }

    #[test]
    fn user_names_are_escaped() {
        let ch = Challenge::parse(r#"Digest realm="r", nonce="n""#).unwrap();
        let r = DigestRequest {
            username: "a\"b",
            password: "p",
            method: "M",
            uri: "u",
            body: "",
            cnonce: "c",
            nc: 1,
        };
        assert!(authorization(&ch, &r).unwrap().starts_with(r#"Digest username="a\"b""#));
    }
}
