//! CCC softphone details (sim/README.md "Softphone details"): GetLoginDetails,
//! GetTurnServerList and GetTurnCredentials, their knobs, `POST /sim/ccc/user` and the
//! `--ccc-sip-server` / `--ccc-user` / `--knobs` command-line options.

mod ccc_common;
mod common;

use agentbar_sim::config::AgentCccConfig;
use ccc_common::*;
use serde_json::{json, Value};

const U: &str = "agent101@ccc-demo";

const LOGIN_FIELDS: [&str; 21] = [
    "UserId",
    "DisplayName",
    "Nickname",
    "AvatarUrl",
    "Extension",
    "WorkMode",
    "DeviceId",
    "DeviceExt",
    "DeviceState",
    "SipServerUrl",
    "AgentServerUrl",
    "Signature",
    "Signature2",
    "UserKey",
    "UserKey2",
    "ChatUserId",
    "ChatAppId",
    "ChatAppKey",
    "ChatLoginToken",
    "ChatServerUrl",
    "ChatDeviceId",
];

async fn setup() -> (common::Gw, Ccc) {
    let gw = common::start().await;
    let ccc = Ccc::new(&gw.base);
    (gw, ccc)
}

#[tokio::test]
async fn login_details_defaults_are_documented_fields_and_deterministic() {
    let (gw, ccc) = setup().await;
    let d = ccc.ok("GetLoginDetails", &[("UserId", U)]).await;
    let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = LOGIN_FIELDS.to_vec();
    expected.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, expected, "{d}");
    assert!(d.as_object().unwrap().values().all(Value::is_string), "every field is a string: {d}");
    assert_eq!(d["UserId"], U);
    assert_eq!(d["DisplayName"], "Alice Chen");
    assert_eq!(d["Extension"], "80000101");
    assert_eq!(d["DeviceExt"], "80000101");
    assert_eq!(d["WorkMode"], "ON_SITE");
    assert_eq!(d["SipServerUrl"], "127.0.0.1:5060");
    assert_eq!(d["DeviceState"], "OFFLINE");
    assert_eq!(d["DeviceId"], "ACC-SIM-1.0-80000101");
    assert_eq!(d["AgentServerUrl"], "sim-wss-ccc.invalid");
    assert_eq!(d["UserKey"], "agent101@ccc-demo:80000101");
    assert_eq!(d["UserKey2"], "YWdlbnQxMDFAY2NjLWRlbW86ODAwMDAxMDE=");
    for chat in ["ChatUserId", "ChatAppId", "ChatAppKey", "ChatLoginToken", "ChatServerUrl", "ChatDeviceId"] {
        assert_eq!(d[chat], "", "{chat}");
    }
    for k in ["Signature", "Signature2", "UserKey", "UserKey2"] {
        assert!(d[k].as_str().is_some_and(|s| s.len() >= 16), "{k}: {d}");
    }
    // The same on every call and every run; another user's differ.
    assert_eq!(ccc.ok("GetLoginDetails", &[("UserId", U)]).await, d);
    let other = common::start().await;
    assert_eq!(Ccc::new(&other.base).ok("GetLoginDetails", &[("UserId", U)]).await, d);
    let d2 = ccc.ok("GetLoginDetails", &[("UserId", "agent102@ccc-demo")]).await;
    assert_eq!(d2["Extension"], "80000102");
    for k in ["Signature", "Signature2", "UserKey", "UserKey2"] {
        assert_ne!(d2[k], d[k], "{k}");
    }

    // Signed in: the device SignInGroup gave, online.
    ccc.ok(
        "SignInGroup",
        &[("UserId", U), ("DeviceId", "dev-7"), ("SignedSkillGroupIdList", r#"["skillgroup1@ccc-demo"]"#)],
    )
    .await;
    let d = ccc.ok("GetLoginDetails", &[("UserId", U)]).await;
    assert_eq!((d["DeviceId"].as_str(), d["DeviceState"].as_str()), (Some("dev-7"), Some("ONLINE")));
    let logged = gw.ctl("GET", "/sim/requests", json!(null)).await;
    assert!(logged.as_array().unwrap().iter().any(|r| r["action"] == "GetLoginDetails"), "{logged}");
}

#[tokio::test]
async fn login_details_need_a_known_user_of_the_instance() {
    let (_gw, ccc) = setup().await;
    ccc.err("GetLoginDetails", &[], 400, "Parameter.Blank").await;
    let e = ccc.err("GetLoginDetails", &[("UserId", "nobody@ccc-demo")], 404, "NotExists.UserId").await;
    assert_eq!(e["Params"], json!(["nobody@ccc-demo"]));
    ccc.err("GetTurnCredentials", &[("UserId", "nobody@ccc-demo")], 404, "NotExists.UserId").await;
    ccc.err("GetTurnCredentials", &[], 400, "Parameter.Blank").await;
    ccc.err("GetLoginDetails", &[("UserId", U), ("InstanceId", "ccc-other")], 404, "NotExists.InstanceId")
        .await;
}

#[tokio::test]
async fn sip_server_extension_and_signature_are_settable() {
    let (gw, ccc) = setup().await;
    let k = gw.ctl("POST", "/sim/config", json!({"cccSipServerUrl": "ws://127.0.0.1:22271"})).await;
    assert_eq!(k["cccSipServerUrl"], "ws://127.0.0.1:22271");
    let v = gw
        .ctl("POST", "/sim/ccc/user", json!({"userId": U, "extension": "1001", "signature2": "agent1001"}))
        .await;
    assert_eq!(v, json!({"userId": U, "extension": "1001", "signature2": "agent1001", "userKey2": null}));
    let d = ccc.ok("GetLoginDetails", &[("UserId", U)]).await;
    assert_eq!(d["SipServerUrl"], "ws://127.0.0.1:22271");
    assert_eq!((d["Extension"].as_str(), d["Signature2"].as_str()), (Some("1001"), Some("agent1001")));
    // The extension is the user's everywhere, not only in GetLoginDetails.
    let s = ccc
        .ok(
            "SignInGroup",
            &[("UserId", U), ("DeviceId", "d"), ("SignedSkillGroupIdList", r#"["skillgroup1@ccc-demo"]"#)],
        )
        .await;
    assert_eq!(s["Extension"], "1001");
    gw.ctl("POST", "/sim/ccc/user", json!({"userId": U, "userKey2": "key-2"})).await;
    let d = ccc.ok("GetLoginDetails", &[("UserId", U)]).await;
    assert_eq!((d["Signature2"].as_str(), d["UserKey2"].as_str()), (Some("agent1001"), Some("key-2")));

    // null: back to the default.
    gw.ctl(
        "POST",
        "/sim/ccc/user",
        json!({"userId": U, "extension": null, "signature2": null, "userKey2": null}),
    )
    .await;
    let d = ccc.ok("GetLoginDetails", &[("UserId", U)]).await;
    assert_eq!(d["Extension"], "80000101");
    assert_ne!(d["Signature2"], "agent1001");

    for (body, why) in [
        (json!({"userId": "nobody@ccc-demo", "extension": "1"}), "no CCC user"),
        (json!({"userId": U, "extention": "1"}), "unknown key"),
        (json!({"extension": "1"}), "userId is required"),
        (json!({"userId": U, "extension": ""}), "non-empty"),
        (json!({"userId": U, "signature2": 5}), "non-empty string"),
    ] {
        let e = gw.ctl("POST", "/sim/ccc/user", body.clone()).await;
        assert!(e["error"].as_str().is_some_and(|m| m.contains(why)), "{body}: {e}");
    }

    // /sim/reset undoes both.
    gw.ctl("POST", "/sim/ccc/user", json!({"userId": U, "extension": "1001"})).await;
    gw.ctl("POST", "/sim/reset", json!({})).await;
    let d = ccc.ok("GetLoginDetails", &[("UserId", U)]).await;
    assert_eq!(
        (d["Extension"].as_str(), d["SipServerUrl"].as_str()),
        (Some("80000101"), Some("127.0.0.1:5060"))
    );
}

#[tokio::test]
async fn config_file_overrides_per_user() {
    let mut cfg = common::test_config();
    cfg.agents[1].ccc = Some(AgentCccConfig {
        signature2: Some("s2".into()),
        user_key2: Some("k2".into()),
        ..Default::default()
    });
    let gw = common::start_cfg(cfg).await;
    let ccc = Ccc::new(&gw.base);
    let d = ccc.ok("GetLoginDetails", &[("UserId", "agent102@ccc-demo")]).await;
    assert_eq!((d["Signature2"].as_str(), d["UserKey2"].as_str()), (Some("s2"), Some("k2")));
}

#[tokio::test]
async fn turn_server_list_is_a_json_string_and_credentials_an_object() {
    let (gw, ccc) = setup().await;
    // No UserId needed.
    let data = ccc.ok("GetTurnServerList", &[]).await;
    let text = data.as_str().unwrap_or_else(|| panic!("Data must be a string: {data}"));
    let list: Value = serde_json::from_str(text).unwrap();
    assert_eq!(
        list,
        json!([{"region": "local", "name": "sim-turn", "domain": "127.0.0.1:3478", "cidr": "127.0.0.1/32"}])
    );
    let two = json!([
        {"region": "hangzhou", "name": "hz", "domain": "turn-hz.example", "cidr": "10.0.0.0/8"},
        {"region": "shanghai", "name": "sh", "domain": "turn-sh.example", "cidr": ""}
    ]);
    gw.ctl("POST", "/sim/config", json!({"cccTurnServers": two})).await;
    let data = ccc.ok("GetTurnServerList", &[]).await;
    assert_eq!(serde_json::from_str::<Value>(data.as_str().unwrap()).unwrap(), two);
    gw.ctl("POST", "/sim/config", json!({"cccTurnServers": []})).await;
    assert_eq!(ccc.ok("GetTurnServerList", &[]).await, "[]");
    let e = gw.ctl("POST", "/sim/config", json!({"cccTurnServers": [{"host": "x"}]})).await;
    assert!(e["error"].is_string(), "{e}");

    let c = ccc.ok("GetTurnCredentials", &[("UserId", U)]).await;
    let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["Password", "UserName"]);
    assert_eq!(c["UserName"], U);
    assert_eq!(c["Password"].as_str().map(str::len), Some(32));
    assert_eq!(ccc.ok("GetTurnCredentials", &[("UserId", U)]).await, c);
    let c2 = ccc.ok("GetTurnCredentials", &[("UserId", "agent102@ccc-demo")]).await;
    assert_ne!(c2["Password"], c["Password"]);
}

/// What a Playwright test starts: the options set the start configuration, so `/sim/reset`
/// keeps them.
#[tokio::test]
async fn command_line_options_survive_reset() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_agentbar-sim"))
        .args([
            "--port",
            "0",
            "--ccc-sip-server",
            "ws://127.0.0.1:22271",
            "--ccc-user",
            r#"{"userId":"agent101@ccc-demo","extension":"1001","signature2":"agent1001"}"#,
            "--knobs={\"cccTurnServers\":[]}",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_string();
    let ccc = Ccc::new(&base);
    let gw = common::Gw { base: base.clone(), http: reqwest::Client::new(), guids: Default::default() };
    for _ in 0..2 {
        let d = ccc.ok("GetLoginDetails", &[("UserId", U)]).await;
        assert_eq!(d["SipServerUrl"], "ws://127.0.0.1:22271");
        assert_eq!((d["Extension"].as_str(), d["Signature2"].as_str()), (Some("1001"), Some("agent1001")));
        assert_eq!(ccc.ok("GetTurnServerList", &[]).await, "[]");
        gw.ctl("POST", "/sim/reset", json!({})).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_agentbar-sim"))
        .args(["--port", "0", "--ccc-user", r#"{"userId":"nobody@ccc-demo","extension":"1"}"#])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no CCC user nobody@ccc-demo"));
}
