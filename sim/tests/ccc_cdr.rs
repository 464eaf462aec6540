//! GetCallDetailRecord fields beyond the call's own events (sim/README.md "Call detail
//! record"): locations, EarlyMediaState, the satisfaction survey, the analytics report, and the
//! `/sim/ccc/cdr` test aid (set, JSON null, removal, JSON pointers).

mod ccc_common;
mod common;

use ccc_common::*;
use serde_json::{json, Value};

/// JobId of the (only or last) CCC job of a model call.
async fn job_of(gw: &common::Gw, callid: &str) -> String {
    let st = gw.state().await;
    st["cccJobs"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|j| j["callid"] == callid)
        .and_then(|j| j["jobId"].as_str())
        .unwrap_or_else(|| panic!("no job for {callid}: {st}"))
        .to_string()
}

async fn record(ccc: &Ccc, job: &str) -> Value {
    ccc.ok("GetCallDetailRecord", &[("ContactId", job)]).await
}

/// A Huawei callout from agent 101 to `called`; returns the call id.
async fn callout(gw: &mut common::Gw, called: &str) -> String {
    let v =
        gw.ok("PUT", "voicecall/101/callout", Some(json!({"called": called, "caller": "01087654321"}))).await;
    v["result"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn outbound_call_never_answered_early_media_and_no_survey() {
    let mut gw = common::start_with(json!({"cdrDelayMs": 0})).await;
    let ccc = Ccc::new(&gw.base);
    gw.login("101").await;

    // The far end fails the call: the knob's EarlyMediaState (default NotConnected).
    gw.scenario(json!({"callout": "ring"})).await;
    let failed = callout(&mut gw, "13912345678").await;
    gw.ctl("POST", "/sim/far-fail", json!({"callid": failed})).await;
    let cdr = record(&ccc, &job_of(&gw, &failed).await).await;
    assert_eq!(cdr["ContactDisposition"], "NoAnswer");
    assert_eq!(cdr["EarlyMediaState"], "NotConnected");
    assert_eq!(cdr["EstablishedTime"], Value::Null);
    assert_eq!(cdr["RecordingReady"], false);
    assert_eq!(
        (&cdr["SatisfactionSurveyOffered"], &cdr["SatisfactionSurveyChannel"], &cdr["Satisfaction"]),
        (&json!(false), &json!(""), &Value::Null)
    );
    assert_eq!((&cdr["AnalyticsReportReady"], &cdr["AnalyticsReport"]), (&json!(false), &Value::Null));
    assert_eq!(cdr["CallerLocation"], "北京市-北京");
    assert!(
        !cdr["CalleeLocation"].as_str().unwrap().is_empty(),
        "an unlisted mobile block still has a place"
    );

    gw.knobs(json!({"cdrEarlyMediaFail": "Busy"})).await;
    gw.drain("101").await;
    let busy = callout(&mut gw, "13912345678").await;
    gw.ctl("POST", "/sim/far-fail", json!({"callid": busy})).await;
    assert_eq!(record(&ccc, &job_of(&gw, &busy).await).await["EarlyMediaState"], "Busy");
    let bad = gw.ctl("POST", "/sim/config", json!({"cdrEarlyMediaFail": "Weird"})).await;
    assert!(bad.get("error").is_some(), "{bad}");

    // The agent gives up while it rings: NoAnswer.
    gw.drain("101").await;
    let cancelled = callout(&mut gw, "13912345678").await;
    gw.ok("DELETE", "voicecall/101/release", None).await;
    let cdr = record(&ccc, &job_of(&gw, &cancelled).await).await;
    assert_eq!(
        (cdr["ReleaseInitiator"].as_str(), cdr["EarlyMediaState"].as_str()),
        (Some("agent"), Some("NoAnswer"))
    );

    // Answered: no early-media state.
    gw.drain("101").await;
    let answered = callout(&mut gw, "05321234567").await;
    gw.ctl("POST", "/sim/far-answer", json!({"callid": answered})).await;
    gw.ctl("POST", "/sim/customer-hangup", json!({"callid": answered})).await;
    let cdr = record(&ccc, &job_of(&gw, &answered).await).await;
    assert_eq!(cdr["EarlyMediaState"], "");
    assert_eq!(cdr["CalleeLocation"], "山东省-青岛");
    assert_eq!(cdr["SatisfactionSurveyOffered"], true);
}

#[tokio::test]
async fn survey_and_analytics_follow_the_knobs_and_who_hung_up() {
    let mut gw = common::start_with(json!({"cdrDelayMs": 0})).await;
    let ccc = Ccc::new(&gw.base);
    gw.ctl("POST", "/sim/clock", json!({"nowMs": 1_700_000_000_000u64})).await;
    gw.login("101").await;

    // Default: IVR survey, score 1; the customer hung up → solved.
    gw.talking("101", "1700000000-1").await;
    gw.ctl("POST", "/sim/clock", json!({"advanceMs": 30_000})).await;
    gw.ctl("POST", "/sim/customer-hangup", json!({"callid": "1700000000-1"})).await;
    let job = job_of(&gw, "1700000000-1").await;
    let cdr = record(&ccc, &job).await;
    assert_eq!(
        (&cdr["SatisfactionSurveyOffered"], &cdr["SatisfactionSurveyChannel"], &cdr["Satisfaction"]),
        (&json!(true), &json!("IVR"), &json!(1))
    );
    assert_eq!(cdr["AnalyticsReportReady"], true);
    let report = &cdr["AnalyticsReport"];
    assert_eq!(report["ProblemSolving"]["Solved"], true);
    assert_eq!(report["ProblemSolving"]["Problem"], "Customer enquiry (General enquiries)");
    assert_eq!(report["ProblemSolving"]["Solution"], "Handled by Alice Chen in 30 s");
    assert_eq!(report["ProblemSolving"]["TaskId"], format!("{job}-problem"));
    assert_eq!(report["Emotion"]["Type"], "positive");
    assert_eq!(report["TodoList"]["Tasks"], json!([]));
    assert_eq!(cdr["CallerLocation"], "北京市-北京");
    assert_eq!(cdr["CalleeLocation"], "", "a service number has no location");
    // The last agent event (Released) lasted 0 s.
    let seq = cdr["AgentEvents"][0]["EventSequence"].as_array().unwrap();
    assert_eq!(seq.last().unwrap()["Duration"], 0);
    assert!(seq.iter().all(|e| e.get("Duration").is_some()));

    // SMS, unanswered survey; the report is ready 5 s after the call; the agent hung up.
    gw.knobs(json!({"cdrSurveyChannel": "SMS", "cdrSatisfaction": null, "cdrAnalyticsDelayMs": 5000})).await;
    gw.drain("101").await;
    gw.talking("101", "1700000000-2").await;
    gw.ok("DELETE", "voicecall/101/release", None).await;
    let job = job_of(&gw, "1700000000-2").await;
    let cdr = record(&ccc, &job).await;
    assert_eq!(
        (&cdr["SatisfactionSurveyOffered"], &cdr["SatisfactionSurveyChannel"], &cdr["Satisfaction"]),
        (&json!(true), &json!("SMS"), &Value::Null)
    );
    assert_eq!((&cdr["AnalyticsReportReady"], &cdr["AnalyticsReport"]), (&json!(false), &Value::Null));
    gw.ctl("POST", "/sim/clock", json!({"advanceMs": 5000})).await;
    let cdr = record(&ccc, &job).await;
    assert_eq!(cdr["AnalyticsReportReady"], true);
    assert_eq!(cdr["AnalyticsReport"]["ProblemSolving"]["Solved"], false);
    assert_eq!(cdr["AnalyticsReport"]["TodoList"]["Tasks"], json!(["Call back 13800138000"]));

    // No survey, no analytics.
    gw.knobs(json!({"cdrSurveyChannel": "none", "cdrAnalyticsDelayMs": null})).await;
    gw.drain("101").await;
    gw.talking("101", "1700000000-3").await;
    gw.ctl("POST", "/sim/customer-hangup", json!({"callid": "1700000000-3"})).await;
    gw.ctl("POST", "/sim/clock", json!({"advanceMs": 60_000})).await;
    let cdr = record(&ccc, &job_of(&gw, "1700000000-3").await).await;
    assert_eq!((&cdr["SatisfactionSurveyOffered"], &cdr["Satisfaction"]), (&json!(false), &Value::Null));
    assert_eq!(cdr["AnalyticsReportReady"], false);
}

#[tokio::test]
async fn cdr_test_aid_sets_nulls_and_removes_fields_and_lists() {
    let mut gw = common::start_with(json!({"cdrDelayMs": 0})).await;
    let ccc = Ccc::new(&gw.base);
    gw.login("101").await;
    gw.talking("101", "1700000000-1").await;
    gw.ctl("POST", "/sim/customer-hangup", json!({"callid": "1700000000-1"})).await;
    let job = job_of(&gw, "1700000000-1").await;
    let cdr = record(&ccc, &job).await;
    for list in ["AgentEvents", "IvrEvents", "QueueEvents", "CustomerEvents"] {
        assert_eq!(cdr[list].as_array().map(Vec::len), Some(1), "{list}: {cdr}");
    }
    let patch = |body: Value| {
        let gw = &gw;
        async move { gw.ctl("POST", "/sim/ccc/cdr", body).await }
    };

    // `set` with null removes; `setNull` sends JSON null; `remove` removes.
    let v = patch(json!({"contactId": job, "set": {"AgentEvents": null, "Satisfaction": 5}})).await;
    assert_eq!(v, json!({"ok": true}));
    patch(json!({"contactId": job, "setNull": ["IvrEvents", "AnalyticsReport"], "remove": ["QueueEvents"]}))
        .await;
    let cdr = record(&ccc, &job).await;
    let obj = cdr.as_object().unwrap();
    assert!(!obj.contains_key("AgentEvents"), "{cdr}");
    assert!(!obj.contains_key("QueueEvents"), "{cdr}");
    assert_eq!(obj.get("IvrEvents"), Some(&Value::Null));
    assert_eq!(obj.get("AnalyticsReport"), Some(&Value::Null));
    assert_eq!(cdr["Satisfaction"], 5);

    // A later change of the same field replaces the earlier one; JSON pointers reach inside.
    patch(json!({"contactId": job, "set": {"AgentEvents": [], "IvrEvents": {"x": 1}}, "remove": ["AnalyticsReport"]}))
        .await;
    patch(
        json!({"contactId": job, "remove": ["/CustomerEvents/0/EventSequence"], "set": {"/IvrEvents/x": 2}}),
    )
    .await;
    let cdr = record(&ccc, &job).await;
    assert_eq!(cdr["AgentEvents"], json!([]));
    assert_eq!(cdr["IvrEvents"], json!({"x": 2}));
    assert!(cdr.get("AnalyticsReport").is_none());
    assert!(cdr["CustomerEvents"][0].get("EventSequence").is_none(), "{cdr}");
    assert_eq!(cdr["CustomerEvents"][0]["CustomerId"], "13800138000");

    // Refusals change nothing.
    for bad in [
        json!({"contactId": job}),
        json!({"contactId": job, "sett": {}}),
        json!({"contactId": job, "setNull": "AgentEvents"}),
        json!({"contactId": "job-none", "set": {"A": 1}}),
    ] {
        let v = patch(bad.clone()).await;
        assert!(v.get("error").is_some(), "{bad}: {v}");
    }
}
