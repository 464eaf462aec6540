//! serde helpers for values whose JSON type varies between documentation and real gateways.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A string that may arrive as a JSON string or number (caller numbers, work numbers, ids).
/// `null` and absent become the empty string. Numbers keep their textual form.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    })
}

/// Like [`string`], but `null`, absent and `""` become `None`.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = string(d)?;
    Ok(if s.is_empty() { None } else { Some(s) })
}

/// An integer that may arrive as a number, a numeric string, or be missing/empty (`None`).
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(value_i64(&Value::deserialize(d)?))
}

/// An integer with a default of 0 when missing, empty or not numeric.
pub fn i64_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(value_i64(&Value::deserialize(d)?).unwrap_or(0))
}

/// A boolean that may arrive as `true`, `"true"`, `1` or `"1"`.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

/// A number, numeric string, or absent.
pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_f64(),
        // Through serde_json's number parser, which the wasm has anyway: `str::parse::<f64>`
        // would link core's second float parser and its tables (~8 KB).
        Value::String(s) => serde_json::from_str::<f64>(s.trim()).ok(),
        _ => None,
    })
}

/// A non-negative integer, number or string; anything else (or a negative) is absent.
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(opt_i64(d)?.and_then(|n| u64::try_from(n).ok()))
}

/// Reads an integer out of any JSON value the way the lenient deserializers do.
pub fn value_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads a string out of any JSON value the way [`string`] does.
pub fn value_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "string")]
        s: String,
        #[serde(default, deserialize_with = "opt_i64")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "opt_bool")]
        b: Option<bool>,
    }

    fn probe(json: &str) -> Probe {
        serde_json::from_str(json).expect("probe decodes")
    }

    #[test]
    fn strings_numbers_and_booleans_in_either_form() {
        let p = probe(r#"{"s": "0105550100", "n": "7", "b": "true"}"#);
        assert_eq!((p.s.as_str(), p.n, p.b), ("0105550100", Some(7), Some(true)));
        let p = probe(r#"{"s": 10086, "n": 7, "b": false}"#);
        assert_eq!((p.s.as_str(), p.n, p.b), ("10086", Some(7), Some(false)));
        let p = probe(r#"{"s": null, "n": "", "b": "maybe"}"#);
        assert_eq!((p.s.as_str(), p.n, p.b), ("", None, None));
        let p = probe("{}");
        assert_eq!((p.s.as_str(), p.n, p.b), ("", None, None));
    }
}
