//! Every error code the five seed pages list is producible: by the simulation where it has a
//! known trigger, and for every code by the `retcode` (CC-Gateway) and `cccError` (CCC) fault
//! kinds of `/sim/fault`, which answer a matching request with that error without processing it.

mod ccc_common;
mod common;

use ccc_common::*;
use serde_json::{json, Value};

async fn arm(gw: &common::Gw, body: Value) -> Value {
    let v = gw.ctl("POST", "/sim/fault", body).await;
    assert!(v.get("error").is_none(), "arm: {v}");
    v
}

/// The raw answer of a CC-Gateway request: HTTP status and body.
async fn vendor(gw: &common::Gw, method: &str, path: &str, body: Value) -> (u16, Value) {
    let guid = path.split('/').nth(1).and_then(|a| gw.guids.get(a)).cloned().unwrap_or_default();
    let resp = gw
        .http
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}/agentgateway/resource/{path}", gw.base),
        )
        .header("Guid", guid)
        .header("Content-Type", "application/json; charset=UTF-8")
        .body(if body.is_null() { String::new() } else { body.to_string() })
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

/// Seeds 001 (holdlist), 002 (mediacall transfer) and 004 (reject): every listed retcode, armed
/// as a `retcode` fault, is answered as the gateway's error envelope (HTTP 200) and the request
/// is not processed (the ringing call still rings).
#[tokio::test]
async fn retcode_fault_answers_every_code_the_gateway_seeds_list() {
    let mut gw = common::start().await;
    gw.login("101").await;
    gw.offer_demo("101").await;
    gw.drain("101").await;
    let holdlist = ("GET", "calldata/101/holdlist", Value::Null);
    let transfer = (
        "POST",
        "mediacall/101/transfer",
        json!({"callid": "1552524689-16797284", "devicetype": 2, "mode": 2, "address": "205"}),
    );
    let reject = ("POST", "voicecall/101/reject", json!({"mode": 1}));
    let table = [
        (&holdlist, "100-006"),
        (&holdlist, "300-001"),
        (&holdlist, "400-003"),
        (&transfer, "106-004"),
        (&transfer, "106-005"),
        (&transfer, "106-006"),
        (&transfer, "106-009"),
        (&transfer, "106-010"),
        (&transfer, "106-012"),
        (&reject, "100-006"),
        (&reject, "100-007"),
        (&reject, "200-002"),
        (&reject, "200-037"),
        (&reject, "200-038"),
        (&reject, "200-039"),
    ];
    for ((method, path, body), code) in table {
        let armed = arm(&gw, json!({"kind": "retcode", "match": path, "retcode": code})).await;
        assert_eq!((armed["retcode"].as_str(), armed["status"].as_u64()), (Some(code), Some(200)), "{armed}");
        let (status, v) = vendor(&gw, method, path, body.clone()).await;
        assert_eq!(status, 200, "{path} {code}: the gateway answers errors with HTTP 200");
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["message", "result", "retcode"], "{path} {code}: {v}");
        assert_eq!(v["retcode"], code, "{path}: {v}");
        assert_eq!(v["result"], Value::Null);
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty() && m != "error"), "{path} {code}: {v}");
        assert_eq!(gw.ctl("GET", "/sim/fault", Value::Null).await, json!([]), "count 1 is used up");
    }
    // Not processed: the call still rings, nothing was transferred or rejected.
    assert_eq!(gw.agent_state("101").await["ringing"], common::DEMO_CALL);
    gw.quiet("101").await;
    // Logged, marked with the fault.
    let log = gw.ctl("GET", "/sim/requests", Value::Null).await;
    let hits = log.as_array().unwrap().iter().filter(|r| r["fault"] == "retcode").count();
    assert_eq!(hits, table.len());

    // The message can be given, `result` follows errorResult; only matching requests are hit.
    gw.knobs(json!({"errorResult": "absent"})).await;
    arm(&gw, json!({"kind": "retcode", "match": "reject", "retcode": "200-038", "message": "call is being transferred", "count": 2}))
        .await;
    gw.ok("GET", "onlineagent/101/agentstatus", None).await;
    let (_, v) = vendor(&gw, "POST", "voicecall/101/reject", json!({"mode": 2})).await;
    assert_eq!(v, json!({"message": "call is being transferred", "retcode": "200-038"}));
    gw.knobs(json!({"errorResult": "object"})).await;
    let (_, v) = vendor(&gw, "POST", "voicecall/101/reject", json!({"mode": 2})).await;
    assert_eq!(v["result"], json!({}));
    // A CCC request is never hit by a retcode fault.
    arm(&gw, json!({"kind": "retcode", "retcode": "100-007"})).await;
    let ccc = Ccc::new(&gw.base);
    ccc.err("GetCallDetailRecord", &[("ContactId", "job-none")], 404, "NotExists.ContactId").await;
    assert_eq!(gw.ctl("GET", "/sim/fault", Value::Null).await.as_array().unwrap().len(), 1);
    gw.ctl("DELETE", "/sim/fault", Value::Null).await;

    // After the faults, the real reject works.
    gw.ok("POST", "voicecall/101/reject", Some(json!({"mode": 2}))).await;
    gw.expect("101", &["AgentEvent_No_Answer"]).await;
}

/// The codes of those seeds that the simulation produces by itself.
#[tokio::test]
async fn gateway_seed_codes_with_a_known_trigger_come_naturally() {
    let mut gw = common::start().await;
    gw.login("101").await;
    gw.err("GET", "calldata/101/holdlist", None, "400-003").await;
    gw.err("POST", "voicecall/101/reject", Some(json!({"mode": 1})), "200-002").await;
    gw.err(
        "POST",
        "mediacall/101/transfer",
        Some(json!({"callid": "x", "devicetype": 9, "mode": 0, "address": "1"})),
        "106-004",
    )
    .await;
    let (_, v) = gw.raw("POST", "voicecall/101/reject", None, Some(r#"{"mode":1}"#.into())).await;
    assert_eq!(v["retcode"], "100-006", "no Guid header");
    let (_, v) = gw.raw("GET", "calldata/101/holdlist", None, None).await;
    assert_eq!(v["retcode"], "100-006");
}

/// One row of the CCC table: action, its parameters, code, HTTP status, expected Params.
type Row<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, u16, Vec<&'a str>);

/// Seeds 000 (CancelAttendedTransfer) and 003 (GetCallDetailRecord): every code of their error
/// tables, armed as a `cccError` fault, is answered as CCC's error envelope with the table's
/// HTTP status; the request is logged and not processed.
#[tokio::test]
async fn ccc_error_fault_answers_every_code_the_ccc_seeds_list() {
    let gw = common::start().await;
    let ccc = Ccc::new(&gw.base);
    let u = "agent101@ccc-demo";
    ccc.ok(
        "SignInGroup",
        &[("UserId", u), ("DeviceId", "d"), ("SignedSkillGroupIdList", r#"["skillgroup1@ccc-demo"]"#)],
    )
    .await;
    let cancel: &[(&str, &str)] = &[("UserId", u), ("DeviceId", "device"), ("JobId", "job-6538214103685")];
    let cdr: &[(&str, &str)] = &[("ContactId", "job-10963442671187")];
    let table: [Row; 8] = [
        ("CancelAttendedTransfer", cancel, "Parameter.Blank", 400, vec!["JobId"]),
        (
            "CancelAttendedTransfer",
            cancel,
            "InvalidOperation.ChannelState",
            400,
            vec!["RELEASED", "ANSWERED"],
        ),
        ("CancelAttendedTransfer", cancel, "InvalidOperation.UserState", 400, vec!["BREAK", "TALKING"]),
        ("CancelAttendedTransfer", cancel, "NotExists.ChannelId", 404, vec!["", "job-6538214103685"]),
        ("CancelAttendedTransfer", cancel, "NotExists.InstanceId", 404, vec!["ccc-demo"]),
        ("CancelAttendedTransfer", cancel, "NotExists.JobId", 404, vec!["job-6538214103685"]),
        (
            "CancelAttendedTransfer",
            cancel,
            "InternalService.CTI",
            500,
            vec!["simulated fault (/sim/fault cccError)"],
        ),
        ("GetCallDetailRecord", cdr, "Parameter.Blank", 400, vec!["ContactId"]),
    ];
    for (action, params, code, status, expected_params) in &table {
        let armed = arm(&gw, json!({"kind": "cccError", "match": action, "code": code})).await;
        assert_eq!(armed["status"], *status, "default status of {code}");
        let body = ccc.err(action, params, *status, code).await;
        let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["Code", "HttpStatusCode", "Message", "Params", "RequestId"], "{code}: {body}");
        assert_eq!(body["Params"], json!(expected_params), "{code}");
        let message = body["Message"].as_str().unwrap();
        assert!(!message.contains("%s") && message.contains(expected_params[0]), "{code}: {message}");
    }
    // Not processed: still BREAK (the seed-000 table's UserState params quote the live state).
    assert_eq!(ccc.ok("PollUserStatus", &[("UserId", u)]).await["UserContext"]["UserState"], "BREAK");
    let log = gw.ctl("GET", "/sim/requests", Value::Null).await;
    let hit: Vec<&Value> = log.as_array().unwrap().iter().filter(|r| r["fault"] == "cccError").collect();
    assert_eq!(hit.len(), table.len());
    assert_eq!(
        (hit[0]["dialect"].as_str(), hit[0]["action"].as_str()),
        (Some("ccc"), Some("CancelAttendedTransfer"))
    );
    assert_eq!(hit[0]["params"]["JobId"], "job-6538214103685");

    // Status, message and params can be given; an unlisted code takes its family's status.
    arm(&gw, json!({"kind": "cccError", "match": "ReadyForService", "code": "InternalService.CTI", "status": 503, "params": ["CTI busy"]}))
        .await;
    let body = ccc.err("ReadyForService", &[("UserId", u)], 503, "InternalService.CTI").await;
    assert_eq!(
        (body["Message"].as_str(), &body["Params"]),
        (Some("An internal CTI service error occurred. CTI busy"), &json!(["CTI busy"]))
    );
    arm(&gw, json!({"kind": "cccError", "match": "ReadyForService", "code": "Throttling.User", "message": "Request was denied due to user flow control."}))
        .await;
    let body = ccc.err("ReadyForService", &[("UserId", u)], 429, "Throttling.User").await;
    assert_eq!(body["Message"], "Request was denied due to user flow control.");
    assert!(body.get("Params").is_none());
    assert_eq!(ccc.ok("PollUserStatus", &[("UserId", u)]).await["UserContext"]["UserState"], "BREAK");

    // A CC-Gateway request is never hit by a cccError fault.
    let mut gw = gw;
    arm(&gw, json!({"kind": "cccError", "code": "NotExists.JobId"})).await;
    gw.login("102").await;
    assert_eq!(gw.ctl("GET", "/sim/fault", Value::Null).await.as_array().unwrap().len(), 1);
}

/// The CCC seed codes the simulation produces by itself on CancelAttendedTransfer (seed 000) and
/// GetCallDetailRecord (seed 003). NotExists.ChannelId and InternalService.CTI have no known
/// trigger there: the fault above is their only source.
#[tokio::test]
async fn ccc_seed_codes_with_a_known_trigger_come_naturally() {
    let gw = common::start().await;
    let mut ccc = Ccc::new(&gw.base);
    let u = "agent101@ccc-demo";
    ccc.err(
        "CancelAttendedTransfer",
        &[("UserId", u), ("JobId", "job-1")],
        400,
        "InvalidOperation.UserState",
    )
    .await;
    ccc.ok(
        "SignInGroup",
        &[("UserId", u), ("DeviceId", "d"), ("SignedSkillGroupIdList", r#"["skillgroup1@ccc-demo"]"#)],
    )
    .await;
    ccc.ok("ReadyForService", &[("UserId", u)]).await;
    let b = ccc.err("CancelAttendedTransfer", &[("UserId", u)], 400, "Parameter.Blank").await;
    assert_eq!(b["Params"], json!(["JobId"]));
    ccc.err("CancelAttendedTransfer", &[("UserId", u), ("JobId", "job-1")], 404, "NotExists.JobId").await;
    gw.offer(json!({"agent": "101", "skill": 1, "caller": "13800138000", "called": "10086"})).await;
    let job = ccc.ok("PollUserStatus", &[("UserId", u)]).await["CallContext"]["JobId"]
        .as_str()
        .unwrap()
        .to_string();
    ccc.ok("AnswerCall", &[("UserId", u), ("JobId", &job)]).await;
    let b = ccc
        .err(
            "CancelAttendedTransfer",
            &[("UserId", u), ("JobId", &job)],
            400,
            "InvalidOperation.ChannelState",
        )
        .await;
    assert_eq!(b["Params"], json!(["NONE", "CONSULTANT"]));
    ccc.err("GetCallDetailRecord", &[], 400, "Parameter.Blank").await;
    ccc.instance = "ccc-other".into();
    ccc.err("CancelAttendedTransfer", &[("UserId", u), ("JobId", &job)], 404, "NotExists.InstanceId").await;
}

/// Bad fault bodies are refused and nothing is armed.
#[tokio::test]
async fn error_fault_fields_are_checked() {
    let gw = common::start().await;
    for bad in [
        json!({"kind": "retcode"}),
        json!({"kind": "retcode", "retcode": "0"}),
        json!({"kind": "retcode", "retcode": "200-037", "status": 500}),
        json!({"kind": "retcode", "retcode": "200-037", "code": "X"}),
        json!({"kind": "retcode", "retcode": "200-037", "forward": true}),
        json!({"kind": "cccError"}),
        json!({"kind": "cccError", "code": "OK"}),
        json!({"kind": "cccError", "code": "NotExists.JobId", "status": 200}),
        json!({"kind": "cccError", "code": "NotExists.JobId", "params": "x"}),
        json!({"kind": "drop", "retcode": "200-037"}),
    ] {
        let v = gw.ctl("POST", "/sim/fault", bad.clone()).await;
        assert!(v.get("error").is_some(), "{bad}: {v}");
    }
    assert_eq!(gw.ctl("GET", "/sim/fault", Value::Null).await, json!([]));
}
