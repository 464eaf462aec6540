//! CCC signatures: the test signer against the SDK's pinned vectors, and the simulator's
//! verification of V3 and V1 requests (valid, tampered, unknown key, missing).

mod ccc_common;
mod common;

use ccc_common::*;
use serde_json::{json, Value};

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect()
}

#[test]
fn test_signer_reproduces_the_sdk_vectors() {
    let v = vectors();
    assert_eq!(v["sdk"]["alibabacloud-ccc20200701"], "2.35.0");
    for vec in v["v3"].as_array().unwrap() {
        let auth = sign_v3(
            vec["method"].as_str().unwrap(),
            &pairs(&vec["query"]),
            &pairs(&vec["headers"]),
            vec["body"].as_str().unwrap().as_bytes(),
            AK_ID,
            AK_SECRET,
        );
        assert_eq!(auth, vec["authorization"].as_str().unwrap(), "vector {}", vec["name"]);
    }
}

/// Sends a pinned V3 vector as it is (Host included) with an optional tweak.
async fn send_v3(base: &str, vec: &Value, tamper: Option<(&str, &str)>) -> (u16, Value) {
    let mut query = pairs(&vec["query"]);
    if let Some((k, val)) = tamper {
        query.retain(|(q, _)| q != k);
        query.push((k.into(), val.into()));
    }
    let http = reqwest::Client::new();
    let mut req = http
        .request(
            reqwest::Method::from_bytes(vec["method"].as_str().unwrap().as_bytes()).unwrap(),
            format!("{base}/?{}", query_string(&query)),
        )
        .header("Authorization", vec["authorization"].as_str().unwrap())
        .body(vec["body"].as_str().unwrap().to_string());
    for (k, v) in pairs(&vec["headers"]) {
        req = req.header(k, v);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn last_signature(gw: &common::Gw) -> Value {
    let log = gw.ctl("GET", "/sim/requests", Value::Null).await;
    log.as_array().unwrap().last().unwrap().clone()
}

#[tokio::test]
async fn v3_vectors_are_accepted_and_tampering_is_refused() {
    let gw = common::start().await;
    let v = vectors();
    for vec in v["v3"].as_array().unwrap() {
        let (status, body) = send_v3(&gw.base, vec, None).await;
        assert_ne!(body["Code"], "SignatureDoesNotMatch", "{}: {body}", vec["name"]);
        let rec = last_signature(&gw).await;
        assert_eq!(rec["dialect"], "ccc");
        assert_eq!(
            rec["signature"],
            json!({"scheme": "ACS3-HMAC-SHA256", "valid": true, "accessKeyId": AK_ID})
        );
        assert_eq!(rec["action"], vec["headers"]["x-acs-action"]);
        // Business params only; the instance of the vectors may not be the sim's.
        assert!(rec["params"].get("InstanceId").is_some(), "{rec}");
        assert!(status == 200 || body["Code"] == "NotExists.InstanceId", "{body}");
    }
    let vec = &v["v3"][0];
    let (status, body) = send_v3(&gw.base, vec, Some(("JobId", "job-1"))).await;
    assert_eq!((status, body["Code"].as_str()), (400, Some("SignatureDoesNotMatch")), "{body}");
    assert_eq!(body["HttpStatusCode"], 400);
    assert_eq!(last_signature(&gw).await["signature"]["valid"], false);
    // A body that does not match the signed payload hash.
    let mut vec_form = v["v3"][2].clone();
    vec_form["body"] = json!("Code=other&UserId=agent101%40ccc-demo");
    let (status, body) = send_v3(&gw.base, &vec_form, None).await;
    assert_eq!((status, body["Code"].as_str()), (400, Some("SignatureDoesNotMatch")), "{body}");
}

#[tokio::test]
async fn v3_from_the_test_signer_unknown_key_and_missing_signature() {
    let gw = common::start().await;
    let ccc = Ccc::new(&gw.base);
    let d = ccc.ok("ListSkillGroups", &[]).await;
    assert_eq!(d["TotalCount"], 3);
    let a = ccc.send("ListSkillGroups", &[], ("LTAI5tSomebodyElse", AK_SECRET)).await;
    assert_eq!((a.status, a.body["Code"].as_str()), (404, Some("InvalidAccessKeyId.NotFound")));
    let a = ccc.send("ListSkillGroups", &[], (AK_ID, "wrong-secret")).await;
    assert_eq!((a.status, a.body["Code"].as_str()), (400, Some("SignatureDoesNotMatch")));
    let resp = reqwest::Client::new()
        .post(format!("{}/?Action=ListSkillGroups&Version=2020-07-01&InstanceId=ccc-demo", gw.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["Code"], "MissingSignature");
    let rec = last_signature(&gw).await;
    assert_eq!(rec["signature"], Value::Null);
    assert_eq!(rec["params"], json!({"InstanceId": "ccc-demo"}));
}

/// Sends a pinned V1 vector: parameters in the query (GET/POST) plus an optional form body.
async fn send_v1(base: &str, vec: &Value, tamper: Option<(&str, &str)>) -> (u16, Value) {
    let mut query = pairs(&vec["query"]);
    if let Some((k, val)) = tamper {
        query.retain(|(q, _)| q != k);
        query.push((k.into(), val.into()));
    }
    let form = pairs(&vec["form"]);
    let http = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(vec["method"].as_str().unwrap().as_bytes()).unwrap();
    let mut req = http.request(method, format!("{base}/?{}", query_string(&query)));
    if !form.is_empty() {
        req = req.header("Content-Type", "application/x-www-form-urlencoded").body(query_string(&form));
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn v1_vectors_are_accepted_and_tampering_is_refused() {
    let gw = common::start().await;
    let v = vectors();
    for vec in v["v1"].as_array().unwrap() {
        let (_, body) = send_v1(&gw.base, vec, None).await;
        assert_ne!(body["Code"], "SignatureDoesNotMatch", "{}: {body}", vec["name"]);
        let rec = last_signature(&gw).await;
        assert_eq!(rec["signature"], json!({"scheme": "HMAC-SHA1", "valid": true, "accessKeyId": AK_ID}));
        // Signature and protocol parameters are not business params; form ones are.
        let params = rec["params"].as_object().unwrap();
        assert!(!params.contains_key("Signature") && !params.contains_key("Action"), "{rec}");
        for k in vec["form"].as_object().unwrap().keys() {
            assert!(params.contains_key(k), "{rec}");
        }
    }
    // The PollUserStatus vector answers for an agent that is OFFLINE.
    let (status, body) = send_v1(&gw.base, &v["v1"][1], None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Data"]["UserContext"]["UserState"], "OFFLINE");
    let (status, body) = send_v1(&gw.base, &v["v1"][0], Some(("UserId", "agent102@ccc-demo"))).await;
    assert_eq!((status, body["Code"].as_str()), (400, Some("SignatureDoesNotMatch")), "{body}");
    assert!(body["Message"].as_str().unwrap().contains("POST&%2F&"), "{body}");
    let (status, body) = send_v1(&gw.base, &v["v1"][0], Some(("AccessKeyId", "nobody"))).await;
    assert_eq!((status, body["Code"].as_str()), (404, Some("InvalidAccessKeyId.NotFound")), "{body}");
}
