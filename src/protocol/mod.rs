//! Wire types of the vendor protocols. Plain serde: no leptos, no web-sys.
//!
//! Decoding is lenient where vendors' documents and their own clients disagree (numbers sent
//! as strings, booleans as `"true"`, caller numbers with leading zeros), and every decode of
//! gateway input returns a `Result`: nothing here may panic on what a gateway sends.

pub mod aliyun;
pub mod huawei;
pub mod lenient;
