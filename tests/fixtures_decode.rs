//! Every vendor payload in tests/fixtures/ (the seeds' examples first) decodes with the
//! toolbar's own types. The simulator is checked against the same files.

use agentbar::adapter::huawei::{decode_event, Decoded};
use agentbar::protocol::huawei::{
    decode_envelope, decode_hold_list, poll_events, MediaTransferBody, RejectBody, RETCODE_OK,
};
use std::fs;
use std::path::Path;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/huawei").join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn seed_001_hold_list_decodes_field_for_field() {
    let env = decode_envelope(&fixture("holdlist_seed001.json")).expect("seed 001 envelope");
    assert_eq!(env.retcode, RETCODE_OK);
    let held = decode_hold_list(&env.result);
    assert_eq!(held.len(), 2);
    let first = &held[0];
    assert_eq!(
        (
            first.callfeature,
            first.callid.as_str(),
            first.caller.as_str(),
            first.called.as_str(),
            first.callskill.as_str()
        ),
        (7, "1501127996-2", "10086", "70943", "voice")
    );
    assert_eq!(
        (first.callskillid, first.orgicallednum.as_deref(), first.calldata.as_deref()),
        (Some(0), None, None)
    );
    assert_eq!((first.begintime, first.endtime), (None, None));
    assert_eq!(
        (held[1].callid.as_str(), held[1].called.as_str(), held[1].callskill.as_str()),
        ("1501127920-0", "70941", "")
    );
}

#[test]
fn seed_002_media_transfer_request_and_response_decode() {
    let body: MediaTransferBody =
        serde_json::from_str(&fixture("mediacall_transfer_request_seed002.json")).expect("seed 002 body");
    assert_eq!(
        body,
        MediaTransferBody {
            callid: "1552524689-16797284".into(),
            caller: Some("88880021".into()),
            devicetype: 2,
            mode: 2,
            address: "205".into(),
            calldata: Some("help".into()),
            skill_id: None,
        }
    );
    // What the toolbar would send for the same transfer is the seed's body, key for key.
    let ours = serde_json::to_value(&body).unwrap();
    let seed: serde_json::Value =
        serde_json::from_str(&fixture("mediacall_transfer_request_seed002.json")).unwrap();
    assert_eq!(ours, seed);
    let env =
        decode_envelope(&fixture("mediacall_transfer_response_seed002.json")).expect("seed 002 response");
    assert!(env.is_ok());
    assert_eq!(env.message, "success");
}

#[test]
fn seed_004_reject_request_and_response_decode() {
    let body: RejectBody =
        serde_json::from_str(&fixture("reject_request_seed004.json")).expect("seed 004 body");
    assert_eq!(body, RejectBody { callid: "1455885056-1095".into(), mode: 1 });
    let env = decode_envelope(&fixture("reject_response_seed004.json")).expect("seed 004 response");
    assert!(env.is_ok());
}

#[test]
fn every_event_fixture_decodes_to_a_known_event() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/huawei/events");
    let mut count = 0;
    for entry in fs::read_dir(&dir).expect("events dir") {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        let env = decode_envelope(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let polled = poll_events(&env);
        assert_eq!(polled.events.len(), 1, "{}", path.display());
        assert!(polled.skipped.is_empty());
        let raw = &polled.events[0];
        let name = path.file_stem().unwrap().to_string_lossy();
        assert_eq!(raw.event_type, name);
        match decode_event(raw) {
            Decoded::Event(_) => {}
            Decoded::Ignored if name == "AgentEvent_ReturnFromIvr" => {}
            other => panic!("{name}: {other:?}"),
        }
        count += 1;
    }
    assert!(count >= 20, "only {count} event fixtures");
}

#[test]
fn the_empty_poll_and_error_fixtures_decode() {
    let env = decode_envelope(&fixture("poll_empty.json")).unwrap();
    assert!(poll_events(&env).events.is_empty());
    let err = decode_envelope(&fixture("error_envelope.json")).unwrap();
    assert!(!err.is_ok());
}

fn aliyun_fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aliyun").join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn seed_000_cancel_attended_transfer_response_decodes() {
    use agentbar::protocol::aliyun::{contexts, decode_envelope};
    let env = decode_envelope(&aliyun_fixture("cancel_attended_transfer_seed000.json")).expect("seed 000");
    assert!(env.is_ok());
    let ctx = contexts(&env.data);
    let user = ctx.user.expect("UserContext");
    assert_eq!((user.user_id.as_str(), user.user_state.as_str()), ("agent@ccc-test", "TALKING"));
    let call = ctx.call.expect("CallContext");
    assert_eq!(call.job_id, "job-6538214103685****");
    assert_eq!(call.channel_contexts.len(), 1);
    assert_eq!(call.channel_contexts[0].call_type, "CONSULTANT");
    assert_eq!(call.channel_contexts[0].channel_state, "ANSWERED");
}

#[test]
fn seed_003_call_detail_record_decodes_and_merges_into_one_timeline() {
    use agentbar::core::cdr::{from_ccc, Source};
    use agentbar::protocol::aliyun::{decode_envelope, CallDetailRecord};
    let env = decode_envelope(&aliyun_fixture("get_call_detail_record_seed003.json")).expect("seed 003");
    let record: CallDetailRecord = serde_json::from_value(env.data).expect("CDR data");
    assert_eq!(
        (record.contact_id.as_str(), record.contact_disposition.as_str(), record.release_initiator.as_str()),
        ("job-10963442671187****", "Success", "customer")
    );
    assert_eq!(
        (record.call_duration, record.recording_ready, record.satisfaction),
        (Some(50), Some(true), Some(1))
    );
    let detail = from_ccc(&record);
    let timeline: Vec<(Source, &str, &str)> =
        detail.timeline.iter().map(|e| (e.source, e.event.as_str(), e.who.as_str())).collect();
    // Sorted by time: the customer's 2018 release first, then the 2020 IVR, queue and agent events.
    assert_eq!(
        timeline,
        [
            (Source::Customer, "Released", "1332315****"),
            (Source::Ivr, "Route2IVR", "MAIN_FLOW"),
            (Source::Queue, "Enqueue", "測試技能組"),
            (Source::Agent, "Dialing", "坐席小王"),
        ]
    );
    assert_eq!(detail.released_by.as_deref(), Some("customer"));
}

#[test]
fn seed_003_every_field_of_the_record_decodes() {
    use agentbar::core::cdr::from_ccc;
    use agentbar::protocol::aliyun::{decode_envelope, CallDetailRecord};
    let env = decode_envelope(&aliyun_fixture("get_call_detail_record_seed003.json")).expect("seed 003");
    let r: CallDetailRecord = serde_json::from_value(env.data).expect("CDR data");
    assert_eq!(
        (r.contact_type.as_str(), r.agent_ids.as_str(), r.instance_id.as_str(), r.skill_group_ids.as_str()),
        ("OUTBOUND", "agent1@ccc-test,agent2@ccc-test", "ccc-test", "skillgroup@ccc-test")
    );
    assert_eq!((r.calling_number.as_str(), r.called_number.as_str()), ("0533128****", "1332315****"));
    assert_eq!((r.agent_names.as_str(), r.skill_group_names.as_str()), ("agent1,agent2", "測試技能組"));
    assert_eq!(
        (r.start_time, r.established_time, r.release_time),
        (Some(1532458000000), Some(1532458000000), Some(1532458000000))
    );
    assert_eq!((r.satisfaction_survey_offered, r.satisfaction_survey_channel.as_str()), (Some(true), "IVR"));
    assert_eq!((r.caller_location.as_str(), r.callee_location.as_str()), (" 山東省-淄博", "河北省-唐山"));
    assert_eq!((r.early_media_state.as_str(), r.release_reason.as_str()), ("NotConnected", "200 - OK"));
    assert_eq!(r.analytics_report_ready, Some(true));
    let a = r.analytics_report.clone().expect("AnalyticsReport");
    let ps = a.problem_solving.expect("ProblemSolving");
    assert_eq!(
        (ps.task_id.as_str(), ps.success, ps.solved, ps.problem.as_str(), ps.solution.as_str()),
        ("", Some(true), Some(true), "", "")
    );
    let em = a.emotion.expect("Emotion");
    assert_eq!(
        (em.success, em.kind.as_str(), em.confidence, em.remark.as_str()),
        (Some(true), "", Some(0.0), "")
    );
    let sa = a.satisfaction.expect("Satisfaction");
    assert_eq!((sa.success, sa.satisfaction_description.as_str(), sa.remark.as_str()), (Some(true), "", ""));
    assert_eq!(a.todo_list.expect("TodoList").tasks, [""]);
    let agent = &r.agent_events[0];
    assert_eq!(
        (agent.agent_name.as_str(), agent.agent_id.as_str(), agent.skill_group_id.as_str()),
        ("坐席小王", "agent@ccc-test", "skillgroup@ccc-test")
    );
    assert_eq!(
        (
            agent.event_sequence[0].event.as_str(),
            agent.event_sequence[0].event_time,
            agent.event_sequence[0].duration
        ),
        ("Dialing", Some(1604639129000), Some(3))
    );
    assert_eq!(
        (r.ivr_events[0].flow_id.as_str(), r.ivr_events[0].flow_type.as_str()),
        ("edaf2eaa-8f88-44ca-812e-41b3cd2b7a90", "MAIN_FLOW")
    );
    let q = &r.queue_events[0];
    assert_eq!(
        (q.queue_id.as_str(), q.queue_name.as_str(), q.flow_id.as_str(), q.queue_type),
        ("skillgroup@ccc-test", "測試技能組", "edaf2eaa-8f88-44ca-812e-41b3cd2b7a90", Some(1))
    );
    assert_eq!(r.customer_events[0].customer_id, "1332315****");
    let d = from_ccc(&r);
    assert_eq!(d.agents, ["agent1", "agent2"]);
    assert_eq!(
        (d.caller_location.as_deref(), d.release_reason.as_deref()),
        (Some("山東省-淄博"), Some("200 - OK"))
    );
    let analytics = d.analytics.expect("analytics");
    assert_eq!(
        (analytics.problem_solved, analytics.emotion_confidence, analytics.todo.len()),
        (Some(true), Some(0), 0)
    );
}

#[test]
fn a_null_or_missing_event_list_loses_that_list_only() {
    use agentbar::core::cdr::from_ccc;
    use agentbar::protocol::aliyun::{decode_envelope, CallDetailRecord};
    let env = decode_envelope(&aliyun_fixture("get_call_detail_record_seed003.json")).expect("seed 003");
    let mut data = env.data;
    data["AgentEvents"] = serde_json::Value::Null;
    data.as_object_mut().unwrap().remove("IvrEvents");
    data["QueueEvents"] = serde_json::json!("not a list");
    data["CustomerEvents"][0]["EventSequence"] = serde_json::Value::Null;
    data["AnalyticsReport"] = serde_json::Value::Null;
    let r: CallDetailRecord = serde_json::from_value(data).expect("the record still decodes");
    assert!(r.agent_events.is_empty() && r.ivr_events.is_empty() && r.queue_events.is_empty());
    assert_eq!(r.customer_events[0].customer_id, "1332315****");
    assert!(r.analytics_report.is_none());
    let d = from_ccc(&r);
    assert_eq!(
        (d.call_id.as_str(), d.disposition.as_str(), d.talk_secs),
        ("job-10963442671187****", "Success", Some(50))
    );
}
