//! Signature test vectors produced by the official Alibaba Cloud Python SDK
//! (alibabacloud-tea-openapi 0.4.6 / alibabacloud-openapi-util 0.2.4 /
//! alibabacloud-ccc20200701 2.35.0) with `tests/vectors/gen_vectors.py`; the JSON output is
//! committed as `tests/vectors/vectors.json`. Key values are also pinned as literals below so a
//! regenerated file cannot silently change them. CI needs no Python.

use agentbar_bridge::signer::{
    canonical_query, percent_encode, sign_rpc_v1, sign_rpc_v3, v1_signature, v1_string_to_sign,
    v3_authorization, v3_canonical_request, verify_v3, AccessKey, Freshness, Secret, EMPTY_BODY_SHA256,
};
use serde_json::Value;

const VECTORS: &str = include_str!("vectors/vectors.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("vectors.json parses")
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_object()
        .expect("object")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("string value").to_string()))
        .collect()
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_else(|| panic!("missing {k}")).to_string()
}

fn find<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array().unwrap().iter().find(|v| v["name"] == name).unwrap_or_else(|| panic!("no vector {name}"))
}

#[test]
fn vectors_come_from_the_pinned_sdk_versions() {
    let v = vectors();
    assert_eq!(v["sdk_versions"]["alibabacloud-tea-openapi"], "0.4.6");
    assert_eq!(v["sdk_versions"]["alibabacloud-ccc20200701"], "2.35.0");
    assert_eq!(v["sdk_versions"]["alibabacloud-openapi-util"], "0.2.4");
    assert!(v["v3"].as_array().unwrap().len() >= 10);
    assert!(v["v1"].as_array().unwrap().len() >= 3);
}

#[test]
fn v3_all_sdk_vectors() {
    let v = vectors();
    for vec in v["v3"].as_array().unwrap() {
        let name = s(vec, "name");
        let key = AccessKey::new(s(vec, "access_key_id"), s(vec, "access_key_secret"));
        let query = pairs(&vec["query"]);
        let headers = pairs(&vec["headers"]);
        let (canonical, signed) = v3_canonical_request(
            &s(vec, "method"),
            &s(vec, "pathname"),
            &query,
            &headers,
            &s(vec, "hashed_payload"),
        );
        assert_eq!(canonical, s(vec, "canonical_request"), "canonical request of {name}");
        assert_eq!(signed, s(vec, "signed_headers"), "signed headers of {name}");
        let auth = v3_authorization(
            &key,
            &s(vec, "method"),
            &s(vec, "pathname"),
            &query,
            &headers,
            &s(vec, "hashed_payload"),
        );
        assert_eq!(auth, s(vec, "authorization"), "authorization of {name}");
    }
}

#[test]
fn v3_documentation_example() {
    // Alibaba Cloud's V3 signature documentation example (RunInstances, YourAccessKeySecret),
    // reproduced by the SDK's Utils.get_authorization in gen_vectors.py.
    let key = AccessKey::new("YourAccessKeyId", "YourAccessKeySecret");
    let query =
        [("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"), ("RegionId", "cn-shanghai")];
    let headers = [
        ("host", "ecs.cn-shanghai.aliyuncs.com"),
        ("x-acs-action", "RunInstances"),
        ("x-acs-content-sha256", EMPTY_BODY_SHA256),
        ("x-acs-date", "2023-10-26T09:01:01Z"),
        ("x-acs-signature-nonce", "d410180a5abf7fe235dd9b74aca91fc0"),
        ("x-acs-version", "2014-05-26"),
    ];
    assert_eq!(
        v3_authorization(&key, "POST", "/", &query, &headers, EMPTY_BODY_SHA256),
        "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;\
         x-acs-date;x-acs-signature-nonce;x-acs-version,\
         Signature=e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804"
    );
}

/// The exact request the bridge builds (`sign_rpc_v3`) equals the SDK-derived vector.
#[test]
fn v3_bridge_request_matches_sdk() {
    let v = vectors();
    let fresh =
        Freshness { date: "2025-01-02T03:04:05Z".into(), nonce: "3f9c2a6d1b7e4c58a0d2e6f1b3c5a7e9".into() };
    let cases = [
        (
            "bridge_cancel_attended_transfer",
            "CancelAttendedTransfer",
            "ccc.cn-shanghai.aliyuncs.com",
            "LTAI5tVectorTestKeyId",
            "vector-test-secret/with+odd=chars&",
            "07c5aaed248adba68210ac45d27413b15d7c057d16c88cab276b4bc78a63b9f5",
        ),
        (
            "bridge_get_call_detail_record",
            "GetCallDetailRecord",
            "ccc.cn-shanghai.aliyuncs.com",
            "LTAI5tVectorTestKeyId",
            "vector-test-secret/with+odd=chars&",
            "d70f2a2b1375e4a09071142d3f1ada92e82be9747bea74366b1728538b1907f5",
        ),
        (
            "bridge_demo_key_simulator_host_with_port",
            "PollUserStatus",
            "127.0.0.1:8043",
            "LTAI5tAgentbarDemoKey",
            "agentbar-demo-secret-not-for-production",
            "8ae7c7140df2997ad2b339114e9df0ff10b86de3f651aece483692febb39bb86",
        ),
        (
            "bridge_special_characters",
            "MakeCall",
            "ccc.cn-shanghai.aliyuncs.com",
            "LTAI5tVectorTestKeyId",
            "vector-test-secret/with+odd=chars&",
            "9d8797acc1b9fb0b705a3626b81d632efa41fe5ba4aecb03883e1f6ef53e1980",
        ),
    ];
    for (name, action, host, id, secret, signature) in cases {
        let vec = find(&v["v3"], name);
        let key = AccessKey::new(id, secret);
        let params = pairs(&vec["query"]);
        let signed = sign_rpc_v3(&key, host, action, &params, &fresh);
        let auth = signed.headers.iter().find(|(k, _)| k == "authorization").map(|(_, v)| v.clone()).unwrap();
        assert_eq!(auth, s(vec, "authorization"), "{name}");
        assert!(auth.ends_with(&format!("Signature={signature}")), "{name}: pinned literal");
        // every header the vector signed is sent with the same value
        for (k, val) in pairs(&vec["headers"]) {
            assert!(signed.headers.contains(&(k.clone(), val.clone())), "{name}: header {k}");
        }
        // and the receiving side accepts it
        let mut all = signed.headers.clone();
        all.push(("accept".into(), "application/json".into()));
        verify_v3(&key, "POST", "/", &params, &all, b"").unwrap();
    }
}

#[test]
fn v3_sdk_end_to_end_pinned() {
    let v = vectors();
    for (name, sig) in [
        (
            "sdk_e2e_cancel_attended_transfer",
            "fda0c524f0cf88402871a3ae17a5070ffacb1c0d618cb253072767bfa5334baf",
        ),
        (
            "sdk_e2e_get_call_detail_record",
            "984b36d1b82dca5e918654bef6047617d084685fffb11f2ad3db65f4a5fc83d3",
        ),
        ("sdk_e2e_sign_in_group", "c74e294e9317d670fae3af6347857c8468c65a378f9a63b924a5190a78069756"),
        (
            "sdk_e2e_make_call_special_characters",
            "82e1ae3370cf0d8c5c1e4721ca1073bd5815c21e709748c3a283c958b51c90d2",
        ),
        (
            "sdk_e2e_http_endpoint_with_port",
            "4f697f90f6fc8ef2f59c8d7309586cdc14f191d02f825ad250e1f4525b7dac2b",
        ),
    ] {
        let vec = find(&v["v3"], name);
        let key = AccessKey::new(s(vec, "access_key_id"), s(vec, "access_key_secret"));
        let auth = v3_authorization(
            &key,
            "POST",
            "/",
            &pairs(&vec["query"]),
            &pairs(&vec["headers"]),
            &s(vec, "hashed_payload"),
        );
        assert!(auth.ends_with(&format!("Signature={sig}")), "{name}: {auth}");
        // verify_v3 accepts what the real SDK sent (all of its headers are signed)
        let mut headers = pairs(&vec["headers"]);
        headers.push(("Authorization".into(), auth));
        verify_v3(&key, "POST", "/", &pairs(&vec["query"]), &headers, b"").unwrap();
    }
}

#[test]
fn v1_all_sdk_vectors() {
    let v = vectors();
    for vec in v["v1"].as_array().unwrap() {
        let secret = Secret::new(s(vec, "access_key_secret"));
        let params = pairs(&vec["params"]);
        assert_eq!(
            v1_signature(&secret, &s(vec, "method"), &params),
            s(vec, "signature"),
            "{}",
            s(vec, "name")
        );
    }
}

#[test]
fn v1_documentation_example() {
    // developer.aliyun.com/ask/210168 / help.aliyun.com/document_detail/130769.html
    let params = [
        ("TimeStamp", "2016-02-23T12:46:24Z"),
        ("Format", "XML"),
        ("AccessKeyId", "testid"),
        ("Action", "DescribeRegions"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("Version", "2014-05-26"),
        ("SignatureVersion", "1.0"),
    ];
    assert_eq!(
        v1_string_to_sign("GET", &params),
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1\
         %26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0\
         %26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    );
    assert_eq!(v1_signature(&Secret::new("testsecret"), "GET", &params), "CT9X0VtwR86fNWSnsc6v8YGOjuE=");
}

/// The bridge's V1 request (`sign_rpc_v1`) equals what the SDK's `do_rpcrequest` sent.
#[test]
fn v1_bridge_request_matches_sdk() {
    let v = vectors();
    let vec = find(&v["v1"], "sdk_e2e_v1_cancel_attended_transfer");
    assert_eq!(s(vec, "signature"), "8sAlTvQXYasoRhS1Dwnz8n3RqkQ=");
    let key = AccessKey::new("LTAI5tVectorTestKeyId", "vector-test-secret/with+odd=chars&");
    let params: Vec<(String, String)> = [
        ("DeviceId", "device"),
        ("InstanceId", "ccc-demo"),
        ("JobId", "job-6538214103685"),
        ("UserId", "agent101@ccc-demo"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let fresh =
        Freshness { date: "2025-01-02T03:04:05Z".into(), nonce: "3f9c2a6d1b7e4c58a0d2e6f1b3c5a7e9".into() };
    let signed = sign_rpc_v1(&key, "ccc.cn-shanghai.aliyuncs.com", "CancelAttendedTransfer", &params, &fresh);
    let mut sdk = pairs(&vec["params"]);
    sdk.push(("Signature".into(), "8sAlTvQXYasoRhS1Dwnz8n3RqkQ=".into()));
    assert_eq!(signed.query, canonical_query(&sdk));
    assert!(signed.query.contains(&format!("Signature={}", percent_encode("8sAlTvQXYasoRhS1Dwnz8n3RqkQ="))));
}

#[test]
fn verify_v3_rejects_tampering() {
    let key = AccessKey::new("id", "secret");
    let fresh = Freshness::now();
    let params = vec![("UserId".to_string(), "a@x".to_string())];
    let signed = sign_rpc_v3(&key, "h", "PollUserStatus", &params, &fresh);
    verify_v3(&key, "POST", "/", &params, &signed.headers, b"").unwrap();
    let other = vec![("UserId".to_string(), "b@x".to_string())];
    assert!(verify_v3(&key, "POST", "/", &other, &signed.headers, b"").is_err());
    assert!(verify_v3(&AccessKey::new("id", "nope"), "POST", "/", &params, &signed.headers, b"").is_err());
    assert!(verify_v3(&key, "POST", "/", &params, &signed.headers, b"x").is_err());
}
