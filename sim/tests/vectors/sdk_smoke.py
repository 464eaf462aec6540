#!/usr/bin/env python3
"""Manual smoke test: the official SDK client (alibabacloud-ccc20200701 2.35.0) against a running
simulator (`cargo run -p agentbar-sim`), V3 by default and V1 with signature_algorithm="v2".
Not run by CI. Same venv as ccc_sign_vectors.py."""
from alibabacloud_ccc20200701.client import Client
from alibabacloud_ccc20200701 import models as m
from alibabacloud_tea_openapi import utils_models as om
cfg = om.Config(access_key_id="LTAI5tAgentbarDemoKey", access_key_secret="agentbar-demo-secret-not-for-production",
                endpoint="127.0.0.1:8043", protocol="http", region_id="cn-shanghai")
c = Client(cfg)
r = c.sign_in_group(m.SignInGroupRequest(instance_id="ccc-demo", user_id="agent101@ccc-demo", device_id="dev 1/x",
                    signed_skill_group_id_list='["skillgroup1@ccc-demo"]'))
print("SignInGroup", r.body.code, r.body.data.user_state, r.body.data.break_code)
r = c.ready_for_service(m.ReadyForServiceRequest(instance_id="ccc-demo", user_id="agent101@ccc-demo"))
print("Ready", r.body.data.user_state)
r = c.list_skill_groups(m.ListSkillGroupsRequest(instance_id="ccc-demo", search_pattern="測試 ~*"))
print("ListSkillGroups", r.body.code, r.body.data.total_count)
try:
    c.take_break(m.TakeBreakRequest(instance_id="ccc-demo", user_id="agent101@ccc-demo"))
except Exception as e:
    print("TakeBreak error:", getattr(e, "code", e), getattr(e, "data", {}).get("Params") if hasattr(e, "data") and isinstance(e.data, dict) else "")
# V1 (signature_algorithm v2 → do_rpcrequest, HMAC-SHA1)
cfg.signature_algorithm = "v2"
c1 = Client(cfg)
r = c1.poll_user_status(m.PollUserStatusRequest(instance_id="ccc-demo", user_id="agent101@ccc-demo", device_id="dev"))
print("V1 PollUserStatus", r.body.code, r.body.data.user_context.user_state)
