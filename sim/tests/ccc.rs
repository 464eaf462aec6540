//! CCC dialect sequences over the shared agent/call model.

mod ccc_common;
mod common;

use ccc_common::*;
use serde_json::{json, Value};

const U: &str = "agent101@ccc-demo";
const GROUPS: &str = r#"["skillgroup1@ccc-demo"]"#;

async fn setup() -> (common::Gw, Ccc) {
    let gw = common::start().await;
    let ccc = Ccc::new(&gw.base);
    (gw, ccc)
}

async fn ready(ccc: &Ccc) {
    let d = ccc
        .ok("SignInGroup", &[("UserId", U), ("DeviceId", "dev-1"), ("SignedSkillGroupIdList", GROUPS)])
        .await;
    assert_eq!((d["UserState"].as_str(), d["BreakCode"].as_str()), (Some("BREAK"), Some("Warm-up")), "{d}");
    assert_eq!(d["SignedSkillGroupIdList"], json!(["skillgroup1@ccc-demo"]));
    assert_eq!(d["Extension"], "80000101");
    let d = ccc.ok("ReadyForService", &[("UserId", U)]).await;
    assert_eq!(d["UserState"], "READY");
}

/// Rings agent 101 through /sim/offer and answers; returns the JobId.
async fn talking(gw: &common::Gw, ccc: &Ccc) -> String {
    gw.offer(json!({"agent": "101", "skill": 1, "caller": "13800138000", "called": "10086"})).await;
    let d = ccc.ok("PollUserStatus", &[("UserId", U)]).await;
    assert_eq!(d["UserContext"]["UserState"], "RINGING", "{d}");
    assert_eq!(d["ChatContexts"], json!([]));
    let job = d["CallContext"]["JobId"].as_str().unwrap().to_string();
    assert!(job.starts_with("job-") && job[4..].chars().all(|c| c.is_ascii_digit()), "{job}");
    assert_eq!(d["UserContext"]["JobId"], job.as_str());
    let agent_leg = channel(&d, "INBOUND", Some(U));
    assert_eq!(agent_leg["ChannelState"], "RINGING");
    assert!(agent_leg["ChannelId"].as_str().unwrap().starts_with("ch:user:13800138000->80000101:"));
    assert_eq!(agent_leg["SkillGroupId"], "skillgroup1@ccc-demo");
    let cust = customer(&d);
    assert!(cust["ChannelId"].as_str().unwrap().starts_with("ch:customer:13800138000->10086:"), "{cust}");
    assert_eq!(cust["UserExtension"], "");
    let d = ccc.ok("AnswerCall", &[("UserId", U), ("JobId", &job)]).await;
    assert_eq!(d["UserContext"]["UserState"], "TALKING");
    assert_eq!(channel(&d, "INBOUND", Some(U))["ChannelState"], "ANSWERED");
    assert!(d["ContextId"].is_u64());
    job
}

#[tokio::test]
async fn inbound_consult_cancel_twice_release_and_call_record() {
    let (gw, ccc) = setup().await;
    gw.ctl("POST", "/sim/clock", json!({"nowMs": 1_700_000_000_000u64})).await;
    ready(&ccc).await;
    let job = talking(&gw, &ccc).await;
    gw.scenario(json!({"consultTarget": "ring"})).await;

    // Consult 1: cancelled while the consultee rings.
    gw.ctl("POST", "/sim/clock", json!({"advanceMs": 5000})).await;
    let d = ccc
        .ok(
            "InitiateAttendedTransfer",
            &[
                ("UserId", U),
                ("JobId", &job),
                ("Transferee", "agent102@ccc-demo"),
                ("TransfereeType", "AGENT"),
            ],
        )
        .await;
    assert_eq!(d["UserContext"]["UserState"], "TALKING");
    let consult = channel(&d, "CONSULTANT", None);
    assert_eq!(consult["ChannelState"], "RINGING");
    assert_eq!(
        (consult["UserId"].as_str(), consult["UserExtension"].as_str()),
        (Some("agent102@ccc-demo"), Some("80000102"))
    );
    assert_eq!(customer(&d)["ChannelFlags"], "HOLDING", "the customer waits: {d}");
    let d = ccc.ok("CancelAttendedTransfer", &[("UserId", U), ("JobId", &job)]).await;
    assert_eq!(d["UserContext"]["UserState"], "TALKING");
    assert_eq!(channel(&d, "CONSULTANT", None)["ChannelState"], "RELEASED");
    assert_eq!(customer(&d)["ChannelFlags"], "");
    ccc.err(
        "CancelAttendedTransfer",
        &[("UserId", U), ("JobId", &job)],
        400,
        "InvalidOperation.ChannelState",
    )
    .await;

    // Consult 2: the consultee answers (far-answer), then cancel.
    let d = ccc
        .ok(
            "InitiateAttendedTransfer",
            &[("UserId", U), ("JobId", &job), ("Transferee", "13900001111"), ("TransfereeType", "EXTERNAL")],
        )
        .await;
    assert_eq!(
        d["CallContext"]["ChannelContexts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["CallType"] == "CONSULTANT")
            .count(),
        2
    );
    gw.ctl("POST", "/sim/far-answer", json!({})).await;
    let d = ccc.ok("PollUserStatus", &[("UserId", U)]).await;
    let live: Vec<&Value> = d["CallContext"]["ChannelContexts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["CallType"] == "CONSULTANT" && c["ChannelState"] == "ANSWERED")
        .collect();
    assert_eq!(live.len(), 1, "{d}");
    let d = ccc.ok("CancelAttendedTransfer", &[("UserId", U), ("JobId", &job)]).await;
    assert_eq!(d["UserContext"]["UserState"], "TALKING");
    assert!(d["CallContext"]["ChannelContexts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["CallType"] == "CONSULTANT")
        .all(|c| c["ChannelState"] == "RELEASED"));
    assert_eq!(channel(&d, "INBOUND", Some(U))["ChannelState"], "ANSWERED");

    // Release → WORKING; the record is not ready for cdrDelayMs.
    gw.ctl("POST", "/sim/clock", json!({"advanceMs": 10_000})).await;
    let d = ccc.ok("ReleaseCall", &[("UserId", U), ("JobId", &job)]).await;
    assert_eq!(d["UserContext"]["UserState"], "WORKING");
    assert!(d["CallContext"]["ChannelContexts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["ChannelState"] == "RELEASED"));
    ccc.err("ReleaseCall", &[("UserId", U), ("JobId", &job)], 404, "NotExists.JobId").await;
    let e = ccc.err("GetCallDetailRecord", &[("ContactId", &job)], 404, "NotExists.ContactId").await;
    assert_eq!(e["Params"], json!([job]));
    gw.ctl("POST", "/sim/clock", json!({"advanceMs": 1000})).await;
    let r = ccc.call("GetCallDetailRecord", &[("ContactId", &job)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.get("Params").is_none());
    let cdr = &r.body["Data"];
    assert_eq!(cdr["ContactId"], job.as_str());
    assert_eq!(cdr["ContactType"], "INBOUND");
    assert_eq!(cdr["ContactDisposition"], "Success");
    assert_eq!(cdr["ReleaseInitiator"], "agent");
    assert_eq!(cdr["ReleaseReason"], "200 - OK");
    assert_eq!(
        (cdr["CallingNumber"].as_str(), cdr["CalledNumber"].as_str()),
        (Some("13800138000"), Some("10086"))
    );
    assert_eq!(cdr["AgentIds"], "agent101@ccc-demo,agent102@ccc-demo");
    assert_eq!(cdr["AgentNames"], "Alice Chen,Bob Li");
    assert_eq!(cdr["SkillGroupIds"], "skillgroup1@ccc-demo");
    assert_eq!(cdr["StartTime"], 1_700_000_000_000u64);
    assert_eq!(cdr["EstablishedTime"], 1_700_000_000_000u64);
    assert_eq!(cdr["ReleaseTime"], 1_700_000_015_000u64);
    assert_eq!(cdr["CallDuration"], 15);
    assert_eq!(cdr["RecordingReady"], true);
    let agent = &cdr["AgentEvents"][0];
    assert_eq!(agent["AgentId"], U);
    assert_eq!(events(agent), ["Ringing", "Established", "Consulting", "Consulting", "Released"]);
    assert_eq!(agent["EventSequence"][1]["Duration"], 5);
    assert_eq!(events(&cdr["IvrEvents"][0]), ["Route2IVR"]);
    assert_eq!(events(&cdr["QueueEvents"][0]), ["Enqueue", "AssignAgent"]);
    assert_eq!(events(&cdr["CustomerEvents"][0]), ["Established", "Released"]);

    // Wrap-up until ReadyForService.
    assert_eq!(ccc.ok("PollUserStatus", &[("UserId", U)]).await["UserContext"]["UserState"], "WORKING");
    assert_eq!(ccc.ok("PollUserStatus", &[("UserId", U)]).await["CallContext"], Value::Null);
    assert_eq!(ccc.ok("ReadyForService", &[("UserId", U)]).await["UserState"], "READY");
    // Requests are logged with the CCC fields.
    let log = gw.ctl("GET", "/sim/requests", Value::Null).await;
    let rec = log.as_array().unwrap().iter().find(|r| r["action"] == "AnswerCall").unwrap();
    assert_eq!(rec["params"], json!({"InstanceId": "ccc-demo", "UserId": U, "JobId": job}));
    assert_eq!(rec["signature"]["scheme"], "ACS3-HMAC-SHA256");
}

#[tokio::test]
async fn complete_attended_transfer() {
    let (gw, ccc) = setup().await;
    ready(&ccc).await;
    let job = talking(&gw, &ccc).await;
    gw.scenario(json!({"consultTarget": "ring"})).await;
    ccc.ok(
        "InitiateAttendedTransfer",
        &[
            ("UserId", U),
            ("JobId", &job),
            ("Transferee", "skillgroup2@ccc-demo"),
            ("TransfereeType", "SKILL_GROUP"),
        ],
    )
    .await;
    let e = ccc
        .err(
            "CompleteAttendedTransfer",
            &[("UserId", U), ("JobId", &job)],
            400,
            "InvalidOperation.ChannelState",
        )
        .await;
    assert_eq!(e["Params"], json!(["RINGING", "ANSWERED"]));
    gw.ctl("POST", "/sim/far-answer", json!({})).await;
    let d = ccc.ok("CompleteAttendedTransfer", &[("UserId", U), ("JobId", &job)]).await;
    assert_eq!(d["UserContext"]["UserState"], "WORKING");
    assert_eq!(d["UserContext"]["JobId"], "");
    assert_eq!(channel(&d, "INBOUND", Some(U))["ChannelState"], "RELEASED");
    ccc.err("ReleaseCall", &[("UserId", U), ("JobId", &job)], 404, "NotExists.JobId").await;
}

#[tokio::test]
async fn blind_transfer_and_outbound_call() {
    let (gw, ccc) = setup().await;
    ready(&ccc).await;
    let job = talking(&gw, &ccc).await;
    ccc.err(
        "BlindTransfer",
        &[("UserId", U), ("JobId", &job), ("Transferee", "x"), ("TransfereeType", "QUEUE")],
        400,
        "Parameter.Enumeration",
    )
    .await;
    let d = ccc
        .ok(
            "BlindTransfer",
            &[
                ("UserId", U),
                ("JobId", &job),
                ("Transferee", "agent103@ccc-demo"),
                ("TransfereeType", "AGENT"),
            ],
        )
        .await;
    assert_eq!(d["UserContext"]["UserState"], "WORKING");
    // MakeCall from WORKING: DIALING until the customer answers.
    gw.scenario(json!({"callout": "ring"})).await;
    let d = ccc.ok("MakeCall", &[("UserId", U), ("Callee", "13911112222"), ("Caller", "05712000")]).await;
    assert_eq!(d["UserContext"]["UserState"], "DIALING");
    assert_eq!(d["CallContext"]["CallType"], "OUTBOUND");
    assert_eq!(customer(&d)["ChannelState"], "RINGING");
    let out_job = d["CallContext"]["JobId"].as_str().unwrap().to_string();
    gw.ctl("POST", "/sim/far-answer", json!({})).await;
    let d = ccc.ok("PollUserStatus", &[("UserId", U)]).await;
    assert_eq!(d["UserContext"]["UserState"], "TALKING");
    assert_eq!(customer(&d)["ChannelState"], "ANSWERED");
    let st = gw.state().await;
    let cid = st["calls"][0]["id"].as_str().unwrap().to_string();
    gw.ctl("POST", "/sim/customer-hangup", json!({"callid": cid})).await;
    gw.knobs(json!({"cdrDelayMs": 0})).await;
    let cdr = ccc.ok("GetCallDetailRecord", &[("ContactId", &out_job)]).await;
    assert_eq!(
        (cdr["ContactType"].as_str(), cdr["ReleaseInitiator"].as_str()),
        (Some("OUTBOUND"), Some("customer"))
    );
    assert_eq!(events(&cdr["AgentEvents"][0]), ["Dialing", "Established", "Released"]);
    let cdr = ccc.ok("GetCallDetailRecord", &[("ContactId", &job)]).await;
    assert_eq!(cdr["AgentIds"], "agent101@ccc-demo,agent103@ccc-demo");
    assert_eq!(events(&cdr["AgentEvents"][0]), ["Ringing", "Established", "BlindTransfer", "Released"]);
}

#[tokio::test]
async fn hold_retrieve_mute_dtmf() {
    let (gw, ccc) = setup().await;
    ready(&ccc).await;
    let job = talking(&gw, &ccc).await;
    let d = ccc.ok("PollUserStatus", &[("UserId", U)]).await;
    let cust = customer(&d)["ChannelId"].as_str().unwrap().to_string();
    let own = channel(&d, "INBOUND", Some(U))["ChannelId"].as_str().unwrap().to_string();
    ccc.err("HoldCall", &[("UserId", U), ("JobId", &job)], 400, "Parameter.Blank").await;
    let e = ccc
        .err(
            "HoldCall",
            &[("UserId", U), ("JobId", &job), ("ChannelId", "ch:nope")],
            404,
            "NotExists.ChannelId",
        )
        .await;
    assert_eq!(e["Params"], json!(["ch:nope", job]));
    ccc.err(
        "RetrieveCall",
        &[("UserId", U), ("JobId", &job), ("ChannelId", &cust)],
        400,
        "InvalidOperation.ChannelState",
    )
    .await;
    let d = ccc.ok("HoldCall", &[("UserId", U), ("JobId", &job), ("ChannelId", &cust)]).await;
    assert_eq!(customer(&d)["ChannelFlags"], "HOLDING");
    assert_eq!(d["UserContext"]["UserState"], "TALKING");
    ccc.err(
        "HoldCall",
        &[("UserId", U), ("JobId", &job), ("ChannelId", &cust)],
        400,
        "InvalidOperation.ChannelState",
    )
    .await;
    let d = ccc.ok("RetrieveCall", &[("UserId", U), ("JobId", &job), ("ChannelId", &cust)]).await;
    assert_eq!(customer(&d)["ChannelFlags"], "");
    let d = ccc.ok("MuteCall", &[("UserId", U), ("JobId", &job)]).await;
    assert_eq!(channel(&d, "INBOUND", Some(U))["ChannelFlags"], "MUTED");
    let d = ccc.ok("UnmuteCall", &[("UserId", U), ("JobId", &job), ("ChannelId", &own)]).await;
    assert_eq!(channel(&d, "INBOUND", Some(U))["ChannelFlags"], "");
    ccc.ok("SendDtmfSignaling", &[("UserId", U), ("JobId", &job), ("ChannelId", &cust), ("Dtmf", "12#*")])
        .await;
    ccc.err(
        "SendDtmfSignaling",
        &[("UserId", U), ("JobId", &job), ("ChannelId", &cust), ("Dtmf", "12a")],
        400,
        "Parameter.Invalid",
    )
    .await;
    gw.knobs(json!({"cccHeldFlag": "HOLD"})).await;
    let d = ccc.ok("HoldCall", &[("UserId", U), ("JobId", &job), ("ChannelId", &cust)]).await;
    assert_eq!(customer(&d)["ChannelFlags"], "HOLD");
}

#[tokio::test]
async fn error_envelopes() {
    let (gw, ccc) = setup().await;
    let e = ccc.err("ReadyForService", &[("UserId", U)], 400, "InvalidOperation.UserState").await;
    assert_eq!(e["Params"], json!(["OFFLINE", "BREAK,READY,WORKING"]));
    assert_eq!(
        e["Message"],
        "The operation is not allowed. User state (OFFLINE) does not meet expectations (BREAK,READY,WORKING)."
    );
    let e = ccc.err("TakeBreak", &[("UserId", U)], 400, "Parameter.Blank").await;
    assert_eq!(e["Params"], json!(["Code"]));
    let e = ccc
        .err("SignInGroup", &[("UserId", U), ("SignedSkillGroupIdList", GROUPS)], 400, "Parameter.Blank")
        .await;
    assert_eq!(e["Params"], json!(["DeviceId"]));
    let e = ccc.err("ReadyForService", &[("UserId", "nobody@ccc-demo")], 404, "NotExists.UserId").await;
    assert_eq!(e["Params"], json!(["nobody@ccc-demo"]));
    let e = ccc
        .err("ReadyForService", &[("UserId", U), ("InstanceId", "ccc-other")], 404, "NotExists.InstanceId")
        .await;
    assert_eq!(e["Params"], json!(["ccc-other"]));
    ccc.err("ListSkillGroups", &[("InstanceId", "")], 400, "Parameter.Blank").await;
    ccc.err("NoSuchAction", &[], 404, "InvalidAction.NotFound").await;
    ready(&ccc).await;
    let e = ccc.err("AnswerCall", &[("UserId", U), ("JobId", "job-1")], 404, "NotExists.JobId").await;
    assert_eq!(e["Params"], json!(["job-1"]));
    ccc.err("MakeCall", &[("UserId", U), ("Callee", "abc")], 400, "Parameter.Invalid").await;
    let job = talking(&gw, &ccc).await;
    let e =
        ccc.err("TakeBreak", &[("UserId", U), ("Code", "lunch")], 400, "InvalidOperation.UserState").await;
    assert_eq!(e["Params"], json!(["TALKING", "READY,BREAK,WORKING"]));
    ccc.err(
        "CompleteAttendedTransfer",
        &[("UserId", U), ("JobId", &job)],
        400,
        "InvalidOperation.ChannelState",
    )
    .await;
    // Another agent cannot act on this call.
    ccc.ok(
        "SignInGroup",
        &[("UserId", "agent102@ccc-demo"), ("DeviceId", "d2"), ("SignedSkillGroupIdList", GROUPS)],
    )
    .await;
    ccc.err("ReleaseCall", &[("UserId", "agent102@ccc-demo"), ("JobId", &job)], 404, "NotExists.JobId").await;
}

#[tokio::test]
async fn reject_ring_timeout_wrap_up_knobs_and_break() {
    let (gw, ccc) = setup().await;
    gw.knobs(json!({"cccSignInState": "ready", "cccWrapUpMs": 500})).await;
    let d =
        ccc.ok("SignInGroup", &[("UserId", U), ("DeviceId", "d"), ("SignedSkillGroupIdList", GROUPS)]).await;
    assert_eq!((d["UserState"].as_str(), d["BreakCode"].as_str()), (Some("READY"), Some("")));
    // Reject (ReleaseCall while ringing): BREAK RejectCall, call back in its queue.
    gw.offer(json!({"skill": 1, "caller": "13800000001"})).await;
    let d = ccc.ok("PollUserStatus", &[("UserId", U)]).await;
    let job = d["CallContext"]["JobId"].as_str().unwrap().to_string();
    let d = ccc.ok("ReleaseCall", &[("UserId", U), ("JobId", &job)]).await;
    assert_eq!(
        (d["UserContext"]["UserState"].as_str(), d["UserContext"]["BreakCode"].as_str()),
        (Some("BREAK"), Some("RejectCall"))
    );
    assert_eq!(gw.state().await["queue"].as_array().unwrap().len(), 1);
    // Ready again: the queued call rings at once; the ring timeout puts the agent on break.
    gw.knobs(json!({"cccRingTimeoutMs": 100})).await;
    let d = ccc.ok("ReadyForService", &[("UserId", U)]).await;
    assert_eq!(d["UserState"], "RINGING");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let d = ccc.ok("PollUserStatus", &[("UserId", U)]).await;
    assert_eq!(
        (d["UserContext"]["UserState"].as_str(), d["UserContext"]["BreakCode"].as_str()),
        (Some("BREAK"), Some("RingingTimeout")),
        "{d}"
    );
    // TakeBreak with a code; auto-ready after wrap-up.
    let d = ccc.ok("TakeBreak", &[("UserId", U), ("Code", "lunch")]).await;
    assert_eq!(d["BreakCode"], "lunch");
    gw.knobs(json!({"cccRingTimeoutMs": 0})).await;
    gw.ctl("POST", "/sim/reset", json!({})).await;
    gw.knobs(json!({"cccWrapUpMs": 300})).await;
    ready(&ccc).await;
    let job = talking(&gw, &ccc).await;
    ccc.ok("ReleaseCall", &[("UserId", U), ("JobId", &job)]).await;
    assert_eq!(ccc.ok("PollUserStatus", &[("UserId", U)]).await["UserContext"]["UserState"], "WORKING");
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(ccc.ok("PollUserStatus", &[("UserId", U)]).await["UserContext"]["UserState"], "READY");
    let d = ccc.ok("SignOutGroup", &[("UserId", U)]).await;
    assert_eq!(d["UserState"], "OFFLINE");
}

#[tokio::test]
async fn lists_state_and_both_dialects() {
    let (mut gw, ccc) = setup().await;
    let d = ccc.ok("ListSkillGroups", &[("PageNumber", "1"), ("PageSize", "2")]).await;
    assert_eq!((d["TotalCount"].as_u64(), d["List"].as_array().unwrap().len()), (Some(3), 2));
    assert_eq!(d["List"][0]["SkillGroupId"], "skillgroup1@ccc-demo");
    assert_eq!(d["List"][0]["SkillGroupName"], "General enquiries");
    let d = ccc.ok("ListBriefSkillGroups", &[("SearchPattern", "vip")]).await;
    assert_eq!(d["List"][0]["SkillGroupId"], "skillgroup2@ccc-demo");
    ready(&ccc).await;
    gw.login("102").await; // Huawei dialect
    let d = ccc.ok("ListRealtimeAgentStates", &[("PageSize", "20")]).await;
    assert_eq!(d["TotalCount"], 5);
    let states: Vec<(String, String)> = d["List"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["AgentId"].as_str().unwrap().into(), a["State"].as_str().unwrap().into()))
        .collect();
    assert_eq!(states[0], (U.into(), "Ready".into()));
    assert_eq!(states[1], ("agent102@ccc-demo".into(), "Ready".into()));
    assert_eq!(states[2].1, "Offline");
    let d = ccc.ok("ListRealtimeAgentStates", &[("StateList", r#"["Ready"]"#)]).await;
    assert_eq!(d["TotalCount"], 2);
    // The Huawei agent is visible (and usable) through CCC too; /sim/state shows the identity.
    let st = gw.agent_state("101").await;
    assert_eq!(st["ccc"]["userId"], U);
    assert_eq!(st["ccc"]["userState"], "READY");
    assert_eq!(st["ccc"]["signedInViaCcc"], true);
    assert_eq!(st["agentState"], 4);
    let d = ccc.ok("PollUserStatus", &[("UserId", "agent102@ccc-demo")]).await;
    assert_eq!(d["UserContext"]["UserState"], "READY");
}
