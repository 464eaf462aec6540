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
