//! Lenient readers for request fields.
//!
//! Huawei's own demo clients send booleans and ints as strings (`"status":"4"`,
//! `"mode":"1"`), so every reader accepts both forms. A value of the wrong kind is a
//! [`Fail`] (000-002 unless the caller maps it), never a panic.

use crate::codes::Fail;
use serde_json::Value;

/// Request body as an object. An empty body counts as `{}`; anything but an object is refused.
pub fn object(body: &Value) -> Result<&serde_json::Map<String, Value>, Fail> {
    static EMPTY: std::sync::OnceLock<serde_json::Map<String, Value>> = std::sync::OnceLock::new();
    match body {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(EMPTY.get_or_init(serde_json::Map::new)),
        _ => Err(Fail::bad_param("request body must be a JSON object")),
    }
}

/// Optional string field; numbers are turned into their decimal text.
pub fn opt_str(obj: &serde_json::Map<String, Value>, key: &str) -> Result<Option<String>, Fail> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(Fail::bad_param(format!("`{key}` must be a string"))),
    }
}

/// Optional integer field; numeric strings are accepted. An empty string counts as absent.
pub fn opt_int(obj: &serde_json::Map<String, Value>, key: &str) -> Result<Option<i64>, Fail> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            int_value(v).map(Some).ok_or_else(|| Fail::bad_param(format!("`{key}` must be an integer")))
        }
    }
}

fn int_value(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Optional boolean field; accepts `true`/`false`, `"true"`/`"false"`, `1`/`0`, `"1"`/`"0"`.
pub fn opt_bool(obj: &serde_json::Map<String, Value>, key: &str) -> Result<Option<bool>, Fail> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            bool_value(v).map(Some).ok_or_else(|| Fail::bad_param(format!("`{key}` must be a boolean")))
        }
    }
}

pub fn bool_value(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => parse_bool_text(s),
        _ => None,
    }
}

pub fn parse_bool_text(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// 1–24 characters of digits, `*` and `#` (callout `called`, DTMF digits).
pub fn is_dial_string(s: &str) -> bool {
    (1..=24).contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit() || c == '*' || c == '#')
}

/// Parses a query string into key/value pairs (percent-decoding `%XX` and `+`).
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

pub fn query_get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
}

pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi * 16 + lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_types() {
        let v = json!({"a": "4", "b": 4, "c": "true", "d": 0, "e": "x", "f": [1]});
        let o = object(&v).unwrap();
        assert_eq!(opt_int(o, "a").unwrap(), Some(4));
        assert_eq!(opt_int(o, "b").unwrap(), Some(4));
        assert_eq!(opt_bool(o, "c").unwrap(), Some(true));
        assert_eq!(opt_bool(o, "d").unwrap(), Some(false));
        assert!(opt_int(o, "e").is_err());
        assert!(opt_str(o, "f").is_err());
        assert_eq!(opt_str(o, "b").unwrap().as_deref(), Some("4"));
        assert_eq!(opt_int(o, "zz").unwrap(), None);
        assert!(object(&json!([1])).is_err());
    }

    #[test]
    fn dial_strings_and_query() {
        assert!(is_dial_string("12*#"));
        assert!(!is_dial_string(""));
        assert!(!is_dial_string("12a"));
        assert!(!is_dial_string(&"1".repeat(25)));
        let q = query_pairs("callid=1-2&reason=&x=a%2Bb+c&bad=%zz%");
        assert_eq!(query_get(&q, "callid"), Some("1-2"));
        assert_eq!(query_get(&q, "reason"), Some(""));
        assert_eq!(query_get(&q, "x"), Some("a+b c"));
        assert_eq!(query_get(&q, "bad"), Some("%zz%"));
    }
}
