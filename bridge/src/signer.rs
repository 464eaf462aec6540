//! Alibaba Cloud OpenAPI request signing for RPC-style APIs (CCC 2020-07-01).
//!
//! Two schemes:
//!
//! * **V3, `ACS3-HMAC-SHA256`** (default) — what the official SDKs use today
//!   (`alibabacloud-tea-openapi` `Client.do_request` → `Utils.get_authorization`):
//!   ```text
//!   CanonicalRequest = METHOD \n PATH \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HexSHA256(body)
//!   StringToSign     = "ACS3-HMAC-SHA256" \n HexSHA256(CanonicalRequest)
//!   Signature        = Hex(HMAC-SHA256(secret, StringToSign))
//!   Authorization    = ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<h1;h2;..>,Signature=<sig>
//!   ```
//!   Canonical headers are `lowercase-name:trimmed-value\n`, sorted by name.
//! * **V1, RPC `HMAC-SHA1`** — the older RPC scheme (`SignatureVersion=1.0`, `Utils.get_rpcsignature`):
//!   `StringToSign = METHOD&%2F&percentEncode(sorted canonical query)`,
//!   `Signature = Base64(HMAC-SHA1(secret + "&", StringToSign))`.
//!
//! Percent-encoding follows Alibaba's rules (RFC 3986): `A-Z a-z 0-9 - _ . ~` are kept, every
//! other byte of the UTF-8 encoding becomes `%XX` (upper-case hex), so space → `%20`,
//! `*` → `%2A`, `/` → `%2F`.
//!
//! The test vectors in `tests/vectors/vectors.json` were produced with the official Python SDK
//! (`tests/vectors/gen_vectors.py`) and are checked by `tests/signer.rs`.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// OpenAPI version of Alibaba Cloud CCC.
pub const CCC_API_VERSION: &str = "2020-07-01";
/// The V3 algorithm name.
pub const ACS3_HMAC_SHA256: &str = "ACS3-HMAC-SHA256";
/// Hex SHA-256 of the empty string: `x-acs-content-sha256` of a request without a body.
pub const EMPTY_BODY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Which signature scheme to use upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureVersion {
    /// `ACS3-HMAC-SHA256` (default; what the current SDKs send).
    V3,
    /// RPC `HMAC-SHA1`, `SignatureVersion=1.0`.
    V1,
}

impl std::str::FromStr for SignatureVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "v3" | "acs3" | "acs3-hmac-sha256" => Ok(SignatureVersion::V3),
            "v1" | "v2" | "rpc" | "hmac-sha1" => Ok(SignatureVersion::V1),
            other => Err(format!("unknown signature version {other:?} (expected v3 or v1)")),
        }
    }
}

/// A secret string whose `Debug`/`Display` never reveal the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The raw value. Only the signer and the cookie MAC should call this.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An Alibaba Cloud AccessKey pair. `Debug` redacts the secret.
#[derive(Clone)]
pub struct AccessKey {
    pub id: String,
    pub secret: Secret,
}

impl AccessKey {
    pub fn new(id: impl Into<String>, secret: impl Into<String>) -> Self {
        AccessKey { id: id.into(), secret: Secret::new(secret) }
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey").field("id", &self.id).field("secret", &"<redacted>").finish()
    }
}

/// Percent-encode per Alibaba's rules (RFC 3986 unreserved kept, everything else `%XX`).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[(b >> 4) as usize]));
            out.push(char::from(b"0123456789ABCDEF"[(b & 0x0f) as usize]));
        }
    }
    out
}

/// `k=v&k=v` with keys and values percent-encoded, sorted by encoded key (then value).
pub fn canonical_query<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> String {
    let mut pairs: Vec<(String, String)> =
        params.iter().map(|(k, v)| (percent_encode(k.as_ref()), percent_encode(v.as_ref()))).collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Canonical headers and the signed-header list, exactly as the SDK builds them: names
/// lower-cased, values trimmed, repeated names joined with `,` (values sorted), sorted by name.
pub fn canonical_headers<K: AsRef<str>, V: AsRef<str>>(headers: &[(K, V)]) -> (String, String) {
    let mut map: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (k, v) in headers {
        map.entry(k.as_ref().to_ascii_lowercase()).or_default().push(v.as_ref().trim().to_string());
    }
    let mut canonical = String::new();
    let mut names = Vec::with_capacity(map.len());
    for (name, mut values) in map {
        values.sort();
        canonical.push_str(&name);
        canonical.push(':');
        canonical.push_str(&values.join(","));
        canonical.push('\n');
        names.push(name);
    }
    (canonical, names.join(";"))
}

/// The V3 canonical request (returned for diagnostics) and the signed-header list.
pub fn v3_canonical_request<K1, V1, K2, V2>(
    method: &str,
    path: &str,
    query: &[(K1, V1)],
    headers: &[(K2, V2)],
    hashed_payload: &str,
) -> (String, String)
where
    K1: AsRef<str>,
    V1: AsRef<str>,
    K2: AsRef<str>,
    V2: AsRef<str>,
{
    let (canon_headers, signed) = canonical_headers(headers);
    let path = if path.is_empty() { "/" } else { path };
    let canonical =
        format!("{method}\n{path}\n{}\n{canon_headers}\n{signed}\n{hashed_payload}", canonical_query(query));
    (canonical, signed)
}

/// Hex V3 signature over a canonical request.
pub fn v3_signature(secret: &Secret, canonical_request: &str) -> String {
    let string_to_sign = format!("{ACS3_HMAC_SHA256}\n{}", sha256_hex(canonical_request.as_bytes()));
    hex::encode(hmac_sha256(secret.expose().as_bytes(), string_to_sign.as_bytes()))
}

/// The full V3 `Authorization` header value. Every header passed in is signed.
pub fn v3_authorization<K1, V1, K2, V2>(
    key: &AccessKey,
    method: &str,
    path: &str,
    query: &[(K1, V1)],
    headers: &[(K2, V2)],
    hashed_payload: &str,
) -> String
where
    K1: AsRef<str>,
    V1: AsRef<str>,
    K2: AsRef<str>,
    V2: AsRef<str>,
{
    let (canonical, signed) = v3_canonical_request(method, path, query, headers, hashed_payload);
    let sig = v3_signature(&key.secret, &canonical);
    format!("{ACS3_HMAC_SHA256} Credential={},SignedHeaders={signed},Signature={sig}", key.id)
}

/// V1 string to sign: `METHOD&%2F&percentEncode(canonical query)`.
pub fn v1_string_to_sign<K: AsRef<str>, V: AsRef<str>>(method: &str, params: &[(K, V)]) -> String {
    format!("{method}&{}&{}", percent_encode("/"), percent_encode(&canonical_query(params)))
}

/// V1 signature (base64 HMAC-SHA1 with key `secret + "&"`). `params` must not contain `Signature`.
pub fn v1_signature<K: AsRef<str>, V: AsRef<str>>(
    secret: &Secret,
    method: &str,
    params: &[(K, V)],
) -> String {
    let key = format!("{}&", secret.expose());
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).expect("HMAC accepts any key length");
    mac.update(v1_string_to_sign(method, params).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A request ready to send: `POST <endpoint>/?<query>` with these headers and an empty body.
#[derive(Clone, Debug)]
pub struct SignedRequest {
    /// The query string (already encoded, no leading `?`).
    pub query: String,
    /// Headers to send (names lower-case), including `authorization` for V3.
    pub headers: Vec<(String, String)>,
}

/// Per-request values that must be fresh for every call.
#[derive(Clone, Debug)]
pub struct Freshness {
    /// UTC ISO-8601 `YYYY-MM-DDTHH:MM:SSZ`.
    pub date: String,
    /// Unique nonce.
    pub nonce: String,
}

impl Freshness {
    pub fn now() -> Self {
        Freshness { date: iso8601_utc(SystemTime::now()), nonce: uuid::Uuid::new_v4().simple().to_string() }
    }
}

/// Sign an RPC call with V3. `host` is the value of the `host` header as sent (with `:port`
/// when the endpoint has a non-default port). Parameters travel in the query string; the
/// body is empty.
pub fn sign_rpc_v3(
    key: &AccessKey,
    host: &str,
    action: &str,
    params: &[(String, String)],
    fresh: &Freshness,
) -> SignedRequest {
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), host.to_string()),
        ("x-acs-action".into(), action.to_string()),
        ("x-acs-content-sha256".into(), EMPTY_BODY_SHA256.to_string()),
        ("x-acs-date".into(), fresh.date.clone()),
        ("x-acs-signature-nonce".into(), fresh.nonce.clone()),
        ("x-acs-version".into(), CCC_API_VERSION.to_string()),
    ];
    let auth = v3_authorization(key, "POST", "/", params, &headers, EMPTY_BODY_SHA256);
    headers.push(("authorization".into(), auth));
    SignedRequest { query: canonical_query(params), headers }
}

/// Sign an RPC call with V1 (`HMAC-SHA1`). Common parameters are added the way the SDK's
/// `do_rpcrequest` adds them; `Signature` is appended to the query.
pub fn sign_rpc_v1(
    key: &AccessKey,
    host: &str,
    action: &str,
    params: &[(String, String)],
    fresh: &Freshness,
) -> SignedRequest {
    let mut all: Vec<(String, String)> = params.to_vec();
    all.extend([
        ("Action".to_string(), action.to_string()),
        ("Format".to_string(), "json".to_string()),
        ("Version".to_string(), CCC_API_VERSION.to_string()),
        ("Timestamp".to_string(), fresh.date.clone()),
        ("SignatureNonce".to_string(), fresh.nonce.clone()),
        ("SignatureMethod".to_string(), "HMAC-SHA1".to_string()),
        ("SignatureVersion".to_string(), "1.0".to_string()),
        ("AccessKeyId".to_string(), key.id.clone()),
    ]);
    let sig = v1_signature(&key.secret, "POST", &all);
    all.push(("Signature".to_string(), sig));
    SignedRequest {
        query: canonical_query(&all),
        headers: vec![
            ("host".into(), host.to_string()),
            ("x-acs-action".into(), action.to_string()),
            ("x-acs-version".into(), CCC_API_VERSION.to_string()),
        ],
    }
}

/// Parse a V3 `Authorization` header into (credential, signed headers, signature).
pub fn parse_v3_authorization(value: &str) -> Option<(String, Vec<String>, String)> {
    let rest = value.strip_prefix(ACS3_HMAC_SHA256)?.trim_start();
    let (mut cred, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Credential" => cred = Some(v.to_string()),
            "SignedHeaders" => signed = Some(v.split(';').map(str::to_string).collect()),
            "Signature" => sig = Some(v.to_string()),
            _ => return None,
        }
    }
    Some((cred?, signed?, sig?))
}

/// Verify a received V3 request (used by tests and usable by simulators). `query` is the
/// decoded query parameters, `headers` all received headers (any case), `body` the raw body.
pub fn verify_v3(
    key: &AccessKey,
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    body: &[u8],
) -> Result<(), String> {
    let get =
        |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let auth = get("authorization").ok_or("missing Authorization")?;
    let (cred, signed, sig) = parse_v3_authorization(auth).ok_or("malformed Authorization")?;
    if cred != key.id {
        return Err("unknown AccessKeyId".into());
    }
    for required in ["host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce"] {
        if !signed.iter().any(|s| s == required) {
            return Err(format!("{required} is not signed"));
        }
    }
    let hashed = sha256_hex(body);
    if get("x-acs-content-sha256") != Some(hashed.as_str()) {
        return Err("x-acs-content-sha256 does not match the body".into());
    }
    let mut signed_headers = Vec::new();
    for name in &signed {
        let values: Vec<&(String, String)> =
            headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).collect();
        if values.is_empty() {
            return Err(format!("signed header {name} is missing"));
        }
        for (_, v) in values {
            signed_headers.push((name.clone(), v.clone()));
        }
    }
    let (canonical, _) = v3_canonical_request(method, path, query, &signed_headers, &hashed);
    let expected = v3_signature(&key.secret, &canonical);
    if subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), sig.as_bytes()).into() {
        Ok(())
    } else {
        Err("signature mismatch".into())
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` (UTC) for a point in time.
pub fn iso8601_utc(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// Days since 1970-01-01 → (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn encodes_per_alibaba_rules() {
        assert_eq!(percent_encode("a b*c~d/é"), "a%20b%2Ac~d%2F%C3%A9");
        assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(percent_encode("+=&%"), "%2B%3D%26%25");
    }

    #[test]
    fn formats_dates() {
        assert_eq!(iso8601_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601_utc(UNIX_EPOCH + Duration::from_secs(1_735_787_045)), "2025-01-02T03:04:05Z");
        assert_eq!(iso8601_utc(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn debug_redacts_secret() {
        let k = AccessKey::new("id", "topsecret");
        let s = format!("{k:?} {:?} {}", k.secret, k.secret);
        assert!(!s.contains("topsecret"), "{s}");
    }
}
