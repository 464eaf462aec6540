//! Every vendor payload in tests/fixtures/ (the seeds' examples first) decodes with the
//! toolbar's own types. The simulator is checked against the same files.

use agentbar::protocol::huawei::{
    decode_envelope, decode_hold_list, poll_events, MediaTransferBody, RejectBody, RETCODE_OK,
};
use agentbar::vendor::huawei::{decode_event, Decoded};
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
