#!/usr/bin/env python3
"""Computes the CCC signature test vectors pinned in ccc_signatures.json.

The signatures are produced by the official Alibaba Cloud Python SDK's own signing code
(alibabacloud-tea-openapi, the package alibabacloud-ccc20200701 2.35.0 calls through
Client.call_api -> do_request for V3 and do_rpcrequest for the V1 RPC signature), not by a
re-implementation, so the simulator's verifier and the test signer are checked against Alibaba's
code. CI does not run this script; it only reads the JSON.

    python3 -m venv /tmp/ccc-venv
    /tmp/ccc-venv/bin/pip install alibabacloud-ccc20200701==2.35.0   # pulls alibabacloud-tea-openapi
    /tmp/ccc-venv/bin/python sim/tests/vectors/ccc_sign_vectors.py > sim/tests/vectors/ccc_signatures.json
"""
import hashlib
import json
from importlib.metadata import version

from alibabacloud_tea_openapi.utils import Utils, get_canonical_query_string, get_canonicalized_headers

AK_ID = "LTAI5tAgentbarDemoKey"
AK_SECRET = "agentbar-demo-secret-not-for-production"
HOST = "ccc.cn-shanghai.aliyuncs.com"
UA = "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/3.11.7 TeaDSL/2 agentbar-vectors"


class Req:
    """The attributes Utils.get_authorization reads from a DaraRequest."""

    def __init__(self, method, pathname, query, headers):
        self.method, self.pathname, self.query, self.headers = method, pathname, query, headers


def v3(name, action, query, body="", content_type=None, method="POST"):
    headers = {
        "host": HOST,
        "x-acs-version": "2020-07-01",
        "x-acs-action": action,
        "user-agent": UA,
        "x-acs-date": "2024-05-01T08:00:00Z",
        "x-acs-signature-nonce": "agentbar-nonce-" + name,
        "accept": "application/json",
    }
    if content_type:
        headers["content-type"] = content_type
    payload = Utils.hash(body.encode("utf-8"), "ACS3-HMAC-SHA256").hex()
    headers["x-acs-content-sha256"] = payload
    req = Req(method, "/", query, headers)
    auth = Utils.get_authorization(req, "ACS3-HMAC-SHA256", payload, AK_ID, AK_SECRET)
    canon_headers, signed = get_canonicalized_headers(headers)
    canonical = "\n".join([method, "/", get_canonical_query_string(query), canon_headers, signed, payload])
    return {
        "name": name,
        "scheme": "ACS3-HMAC-SHA256",
        "method": method,
        "path": "/",
        "query": query,
        "headers": headers,
        "body": body,
        "canonicalRequest": canonical,
        "stringToSign": "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest(),
        "authorization": auth,
    }


def v1(name, method, query, body=None):
    q = dict(query)
    q.update({
        "Format": "json",
        "Version": "2020-07-01",
        "Timestamp": "2024-05-01T08:00:00Z",
        "SignatureNonce": "agentbar-nonce-" + name,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "AccessKeyId": AK_ID,
    })
    signed = dict(q)
    signed.update(body or {})
    q["Signature"] = Utils.get_rpcsignature(signed, method, AK_SECRET)
    return {"name": name, "scheme": "HMAC-SHA1", "method": method, "path": "/", "query": q,
            "form": body or {}, "signature": q["Signature"]}


vectors = {
    "sdk": {
        "alibabacloud-ccc20200701": version("alibabacloud-ccc20200701"),
        "alibabacloud-tea-openapi": version("alibabacloud-tea-openapi"),
    },
    "accessKeyId": AK_ID,
    "accessKeySecret": AK_SECRET,
    "v3": [
        v3("cancel", "CancelAttendedTransfer", {
            "InstanceId": "ccc-test", "UserId": "agent@ccc-test", "DeviceId": "device",
            "JobId": "job-6538214103685****"}),
        v3("signin", "SignInGroup", {
            "InstanceId": "ccc-demo", "UserId": "agent101@ccc-demo", "DeviceId": "ACC-YUNBS 1.0/x",
            "SignedSkillGroupIdList": '["skillgroup1@ccc-demo","skillgroup2@ccc-demo"]'}),
        v3("form", "TakeBreak", {"InstanceId": "ccc-demo"},
           body="Code=lunch%20time&UserId=agent101%40ccc-demo",
           content_type="application/x-www-form-urlencoded"),
        v3("unicode", "ListSkillGroups", {"InstanceId": "ccc-demo", "SearchPattern": "測試 技能組~*",
                                          "PageNumber": "1", "PageSize": "20"}),
    ],
    "v1": [
        v1("post", "POST", {"Action": "ReadyForService", "InstanceId": "ccc-demo",
                            "UserId": "agent101@ccc-demo"}),
        v1("get", "GET", {"Action": "PollUserStatus", "InstanceId": "ccc-demo",
                          "UserId": "agent101@ccc-demo", "DeviceId": "dev 1/*~"}),
        v1("form", "POST", {"Action": "TakeBreak", "InstanceId": "ccc-demo"},
           body={"UserId": "agent101@ccc-demo", "Code": "午休"}),
    ],
}
print(json.dumps(vectors, ensure_ascii=False, indent=2))
