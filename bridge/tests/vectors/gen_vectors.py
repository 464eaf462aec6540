#!/usr/bin/env python3
"""Generate Alibaba Cloud OpenAPI signature test vectors with the *official* Python SDK.

The bridge's Rust signer (bridge/src/signer.rs) is tested against the output of this
script (bridge/tests/vectors/vectors.json, pinned in bridge/tests/signer.rs). CI does not
run Python; re-run this only when you want to re-derive the vectors:

    python3 -m venv /tmp/alisdk
    /tmp/alisdk/bin/pip install "alibabacloud-tea-openapi==0.4.6" \
        "alibabacloud-openapi-util==0.2.4" "alibabacloud-ccc20200701==2.35.0" \
        "darabonba-core==1.0.9" "alibabacloud-tea-util==0.3.15"
    /tmp/alisdk/bin/python bridge/tests/vectors/gen_vectors.py > bridge/tests/vectors/vectors.json

What is used from the SDK (nothing is re-implemented here):
  * V3 (ACS3-HMAC-SHA256): `alibabacloud_tea_openapi.utils.Utils.get_authorization`, which is
    what `alibabacloud_tea_openapi.client.Client.do_request` calls; `call_api` (used by every
    `alibabacloud_ccc20200701.client.Client` operation) dispatches to `do_request` unless
    `signature_algorithm == 'v2'`. Cross-checked with the older
    `alibabacloud_openapi_util.client.Client.get_authorization`.
  * "sdk_e2e_*" vectors run the real CCC client (`Client.cancel_attended_transfer(...)` etc.)
    with `DaraCore.do_action` replaced by a recorder, and nonce / timestamp / user agent fixed,
    so the recorded request (query, every header, Authorization) is exactly what the SDK
    would put on the wire.
  * V1 (HMAC-SHA1, RPC): `Utils.get_rpcsignature` (called by `do_rpcrequest`), cross-checked
    with `alibabacloud_openapi_util.client.Client.get_rpcsignature`, plus an end-to-end run of
    `do_rpcrequest` (Config.signature_algorithm = 'v2').
  * Two vectors come from Alibaba's own documentation and are reproduced by the SDK here
    (see "source" fields).
"""
import hashlib
import importlib.metadata as md
import json
import sys

from alibabacloud_ccc20200701 import models as ccc_models
from alibabacloud_ccc20200701.client import Client as CccClient
from alibabacloud_openapi_util.client import Client as LegacyOpenApiUtil
from alibabacloud_tea_openapi import utils as tea_utils
from alibabacloud_tea_openapi.utils import Utils
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.core import DaraCore
from darabonba.request import DaraRequest

ALGO = "ACS3-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

FIXED_DATE = "2025-01-02T03:04:05Z"
FIXED_NONCE = "3f9c2a6d1b7e4c58a0d2e6f1b3c5a7e9"
FIXED_UA = "AlibabaCloud (Linux; x86_64) Python/3.11 Core/3.0.0 TeaDSL/2"

DEMO_ID = "LTAI5tAgentbarDemoKey"
DEMO_SECRET = "agentbar-demo-secret-not-for-production"
TEST_ID = "LTAI5tVectorTestKeyId"
TEST_SECRET = "vector-test-secret/with+odd=chars&"


def canonical_parts(method, pathname, query, headers, hashed_payload):
    """The canonical request exactly as Utils.get_authorization builds it (for debugging)."""
    cq = tea_utils.get_canonical_query_string(query)
    ch, signed = tea_utils.get_canonicalized_headers(headers)
    return f"{method}\n{pathname or '/'}\n{cq}\n{ch}\n{signed}\n{hashed_payload}", signed


def v3_vector(name, source, method, pathname, query, headers, ak, secret, hashed_payload=EMPTY_SHA256):
    req = DaraRequest()
    req.method = method
    req.pathname = pathname
    req.query = dict(query)
    req.headers = dict(headers)
    auth = Utils.get_authorization(req, ALGO, hashed_payload, ak, secret)
    legacy = LegacyOpenApiUtil.get_authorization(req, ALGO, hashed_payload, ak, secret)
    assert auth == legacy, (auth, legacy)
    canonical, signed = canonical_parts(method, pathname, query, headers, hashed_payload)
    return {
        "name": name,
        "source": source,
        "access_key_id": ak,
        "access_key_secret": secret,
        "method": method,
        "pathname": pathname,
        "query": query,
        "headers": headers,
        "hashed_payload": hashed_payload,
        "canonical_request": canonical,
        "signed_headers": signed,
        "authorization": auth,
    }


class Recorded(Exception):
    pass


def run_sdk(call, endpoint, protocol="HTTPS", v2=False, ak=TEST_ID, secret=TEST_SECRET):
    """Run a real CCC SDK operation; capture the outgoing request instead of sending it."""
    captured = {}

    def fake_do_action(request, runtime=None):
        captured["req"] = request
        raise Recorded()

    orig = (DaraCore.do_action, Utils.get_nonce, Utils.get_timestamp, Utils.get_user_agent)
    DaraCore.do_action = staticmethod(fake_do_action)
    Utils.get_nonce = staticmethod(lambda: FIXED_NONCE)
    Utils.get_timestamp = staticmethod(lambda: FIXED_DATE)
    Utils.get_user_agent = staticmethod(lambda ua=None: FIXED_UA)
    try:
        cfg = Config(access_key_id=ak, access_key_secret=secret, endpoint=endpoint, protocol=protocol)
        if v2:
            cfg.signature_algorithm = "v2"
        client = CccClient(cfg)
        try:
            call(client)
        except Recorded:
            pass
        except Exception as e:  # the SDK may wrap our exception
            if "req" not in captured:
                raise e
    finally:
        DaraCore.do_action, Utils.get_nonce, Utils.get_timestamp, Utils.get_user_agent = (
            staticmethod(orig[0]),
            staticmethod(orig[1]),
            staticmethod(orig[2]),
            staticmethod(orig[3]),
        )
    return captured["req"]


def sdk_e2e_v3(name, call, endpoint="ccc.cn-shanghai.aliyuncs.com", protocol="HTTPS"):
    req = run_sdk(call, endpoint, protocol)
    headers = {k: v for k, v in req.headers.items() if k != "Authorization"}
    vec = v3_vector(
        name,
        "alibabacloud-ccc20200701 Client -> tea-openapi call_api -> do_request (request captured)",
        req.method,
        req.pathname,
        req.query,
        headers,
        TEST_ID,
        TEST_SECRET,
        headers["x-acs-content-sha256"],
    )
    assert vec["authorization"] == req.headers["Authorization"]
    return vec


def bridge_headers(host, action, date=FIXED_DATE, nonce=FIXED_NONCE):
    """The header set agentbar-bridge signs (the six headers Alibaba's V3 doc requires)."""
    return {
        "host": host,
        "x-acs-action": action,
        "x-acs-content-sha256": EMPTY_SHA256,
        "x-acs-date": date,
        "x-acs-signature-nonce": nonce,
        "x-acs-version": "2020-07-01",
    }


def v1_vector(name, source, method, params, secret):
    sig = Utils.get_rpcsignature(params, method, secret)
    legacy = LegacyOpenApiUtil.get_rpcsignature(params, method, secret)
    assert sig == legacy, (sig, legacy)
    return {
        "name": name,
        "source": source,
        "method": method,
        "access_key_secret": secret,
        "params": params,
        "signature": sig,
    }


def main():
    v3 = []
    cancel_params = {
        "DeviceId": "device",
        "InstanceId": "ccc-demo",
        "JobId": "job-6538214103685",
        "UserId": "agent101@ccc-demo",
    }
    # --- documentation example (V3 header table of Alibaba's "ROA风格请求体&签名机制" page) ---
    v3.append(
        v3_vector(
            "doc_example_run_instances",
            "https://help.aliyun.com/zh/model-studio/user-guide/roa-style-request-body-signature-mechanism "
            "(Authorization example e521358f...) with the query of "
            "https://help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature",
            "POST",
            "/",
            {"ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", "RegionId": "cn-shanghai"},
            {
                "host": "ecs.cn-shanghai.aliyuncs.com",
                "x-acs-action": "RunInstances",
                "x-acs-content-sha256": EMPTY_SHA256,
                "x-acs-date": "2023-10-26T09:01:01Z",
                "x-acs-signature-nonce": "d410180a5abf7fe235dd9b74aca91fc0",
                "x-acs-version": "2014-05-26",
            },
            "YourAccessKeyId",
            "YourAccessKeySecret",
        )
    )
    # --- the bridge's own header set ---
    v3.append(
        v3_vector(
            "bridge_cancel_attended_transfer",
            "Utils.get_authorization with the bridge's six signed headers",
            "POST",
            "/",
            cancel_params,
            bridge_headers("ccc.cn-shanghai.aliyuncs.com", "CancelAttendedTransfer"),
            TEST_ID,
            TEST_SECRET,
        )
    )
    v3.append(
        v3_vector(
            "bridge_get_call_detail_record",
            "Utils.get_authorization with the bridge's six signed headers",
            "POST",
            "/",
            {"ContactId": "job-10963442671187", "InstanceId": "ccc-demo"},
            bridge_headers("ccc.cn-shanghai.aliyuncs.com", "GetCallDetailRecord"),
            TEST_ID,
            TEST_SECRET,
        )
    )
    v3.append(
        v3_vector(
            "bridge_demo_key_simulator_host_with_port",
            "Utils.get_authorization; demo key, simulator endpoint 127.0.0.1:8043",
            "POST",
            "/",
            {"DeviceId": "agentbar", "InstanceId": "ccc-demo", "UserId": "agent101@ccc-demo"},
            bridge_headers("127.0.0.1:8043", "PollUserStatus"),
            DEMO_ID,
            DEMO_SECRET,
        )
    )
    v3.append(
        v3_vector(
            "bridge_special_characters",
            "Utils.get_authorization; values exercising the percent-encoding rules",
            "POST",
            "/",
            {
                "Callee": "+86 138-0000 0000",
                "InstanceId": "ccc-demo",
                "SignedSkillGroupIdList": '["skg-1@ccc-demo","skg 2@ccc-demo"]',
                "Tags": "a b*c~d/e&f=g+h%i_j.k-l:m;n,o(p)!q'r\u00e9\u4e2d\u6587",
                "UserId": "agent101@ccc-demo",
            },
            bridge_headers("ccc.cn-shanghai.aliyuncs.com", "MakeCall"),
            TEST_ID,
            TEST_SECRET,
        )
    )
    # --- the real SDK, end to end ---
    v3.append(
        sdk_e2e_v3(
            "sdk_e2e_cancel_attended_transfer",
            lambda c: c.cancel_attended_transfer(ccc_models.CancelAttendedTransferRequest(**{
                "device_id": "device",
                "instance_id": "ccc-demo",
                "job_id": "job-6538214103685",
                "user_id": "agent101@ccc-demo",
            })),
        )
    )
    v3.append(
        sdk_e2e_v3(
            "sdk_e2e_get_call_detail_record",
            lambda c: c.get_call_detail_record(ccc_models.GetCallDetailRecordRequest(
                contact_id="job-10963442671187", instance_id="ccc-demo")),
        )
    )
    v3.append(
        sdk_e2e_v3(
            "sdk_e2e_sign_in_group",
            lambda c: c.sign_in_group(ccc_models.SignInGroupRequest(
                device_id="CCC-1.0-chrome119-bs",
                instance_id="ccc-demo",
                signed_skill_group_id_list='["skg-sales@ccc-demo","skg-vip@ccc-demo"]',
                user_id="agent101@ccc-demo")),
        )
    )
    v3.append(
        sdk_e2e_v3(
            "sdk_e2e_make_call_special_characters",
            lambda c: c.make_call(ccc_models.MakeCallRequest(
                callee="+86 138-0000 0000",
                caller="0571 8888*8888",
                instance_id="ccc-demo",
                tags="vip~gold/\u00e9 \u4e2d&x=y",
                timeout_seconds=30,
                user_id="agent101@ccc-demo")),
        )
    )
    v3.append(
        sdk_e2e_v3(
            "sdk_e2e_http_endpoint_with_port",
            lambda c: c.poll_user_status(ccc_models.PollUserStatusRequest(
                device_id="agentbar", instance_id="ccc-demo", user_id="agent101@ccc-demo")),
            endpoint="127.0.0.1:8043",
            protocol="HTTP",
        )
    )

    v1 = []
    v1.append(
        v1_vector(
            "doc_example_describe_regions",
            "https://developer.aliyun.com/ask/210168 (signature CT9X0VtwR86fNWSnsc6v8YGOjuE=, also shown on "
            "https://help.aliyun.com/en/document_detail/130769.html)",
            "GET",
            {
                "AccessKeyId": "testid",
                "Action": "DescribeRegions",
                "Format": "XML",
                "SignatureMethod": "HMAC-SHA1",
                "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
                "SignatureVersion": "1.0",
                "TimeStamp": "2016-02-23T12:46:24Z",
                "Version": "2014-05-26",
            },
            "testsecret",
        )
    )
    v1.append(
        v1_vector(
            "bridge_v1_special_characters",
            "Utils.get_rpcsignature",
            "POST",
            {
                "AccessKeyId": TEST_ID,
                "Action": "MakeCall",
                "Callee": "+86 138-0000 0000",
                "Format": "JSON",
                "InstanceId": "ccc-demo",
                "SignatureMethod": "HMAC-SHA1",
                "SignatureNonce": FIXED_NONCE,
                "SignatureVersion": "1.0",
                "Tags": "a b*c~d/e&f=g+h%i\u00e9\u4e2d",
                "Timestamp": FIXED_DATE,
                "UserId": "agent101@ccc-demo",
                "Version": "2020-07-01",
            },
            TEST_SECRET,
        )
    )
    req = run_sdk(
        lambda c: c.cancel_attended_transfer(ccc_models.CancelAttendedTransferRequest(
            device_id="device", instance_id="ccc-demo", job_id="job-6538214103685", user_id="agent101@ccc-demo")),
        "ccc.cn-shanghai.aliyuncs.com",
        v2=True,
    )
    params = {k: v for k, v in req.query.items() if k != "Signature"}
    vec = v1_vector(
        "sdk_e2e_v1_cancel_attended_transfer",
        "alibabacloud-ccc20200701 Client with Config.signature_algorithm='v2' -> do_rpcrequest (request captured)",
        req.method,
        params,
        TEST_SECRET,
    )
    assert vec["signature"] == req.query["Signature"]
    v1.append(vec)

    versions = {}
    for pkg in [
        "alibabacloud-tea-openapi",
        "alibabacloud-openapi-util",
        "alibabacloud-ccc20200701",
        "darabonba-core",
        "alibabacloud-tea-util",
    ]:
        versions[pkg] = md.version(pkg)
    out = {
        "generated_by": "bridge/tests/vectors/gen_vectors.py",
        "python": sys.version.split()[0],
        "sdk_versions": versions,
        "v3": v3,
        "v1": v1,
    }
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
