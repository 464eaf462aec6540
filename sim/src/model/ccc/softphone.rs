//! What a softphone needs to register (reference aliyun-ccc.md §3.2): GetLoginDetails,
//! GetTurnServerList and GetTurnCredentials.
//!
//! CCC answers GetLoginDetails only for the caller's own user; with an AccessKey the simulator
//! cannot tell who calls, so the signed `UserId` names the user (the bridge pins it to the
//! session's agent). The SIP server and TURN relays are knobs (`cccSipServerUrl`,
//! `cccTurnServers`); a user's `Extension`, `Signature2` and `UserKey2` are its CCC identity
//! (`agents[].ccc`, `POST /sim/ccc/user`). Values CCC computes (signatures, keys, TURN
//! credentials) are derived from the UserId, the extension and the AccessKey secret, so they
//! are the same on every run.

use super::{CccFail, WORK_MODE};
use crate::crypto::{base64, hex, hmac_sha256};
use crate::model::Sim;
use serde_json::{json, Value};

impl Sim {
    fn ccc_derive(&self, purpose: &str, text: &str) -> String {
        let key = self.cfg.ccc.access_key_secret.as_bytes();
        hex(&hmac_sha256(key, format!("{purpose}\n{text}").as_bytes()))
    }

    /// GetLoginDetails `Data` for the user of `workno`.
    pub(super) fn ccc_login_details(&self, workno: &str) -> Result<Value, CccFail> {
        let id = self.ccc_identity_of(workno).ok_or_else(|| CccFail::no_user(workno))?;
        let o = self.cfg.agent(workno).and_then(|a| a.ccc.clone()).unwrap_or_default();
        let agent = self.agents.get(workno);
        let user_key = format!("{}:{}", id.user_id, id.extension);
        let user_key2 = o.user_key2.unwrap_or_else(|| base64(user_key.as_bytes()));
        let signature2 = o.signature2.unwrap_or_else(|| self.ccc_derive("Signature2", &user_key2));
        let device_id = agent
            .map(|a| a.ccc.device_id.clone())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| format!("ACC-SIM-1.0-{}", id.extension));
        let online = agent.is_some_and(|a| a.is_ccc());
        Ok(json!({
            "UserId": id.user_id,
            "DisplayName": id.name,
            "Nickname": id.name,
            "AvatarUrl": "",
            "Extension": id.extension,
            "WorkMode": WORK_MODE,
            "DeviceId": device_id,
            "DeviceExt": id.extension,
            "DeviceState": if online { "ONLINE" } else { "OFFLINE" },
            "SipServerUrl": self.cfg.knobs.ccc_sip_server_url,
            "AgentServerUrl": self.cfg.knobs.ccc_agent_server_url,
            "Signature": self.ccc_derive("Signature", &user_key),
            "Signature2": signature2,
            "UserKey": user_key,
            "UserKey2": user_key2,
            "ChatUserId": "",
            "ChatAppId": "",
            "ChatAppKey": "",
            "ChatLoginToken": "",
            "ChatServerUrl": "",
            "ChatDeviceId": "",
        }))
    }

    /// GetTurnServerList `Data`: a string holding the JSON array (decoded twice by clients).
    pub(super) fn ccc_turn_servers(&self) -> Value {
        Value::String(serde_json::to_string(&self.cfg.knobs.ccc_turn_servers).unwrap_or_else(|_| "[]".into()))
    }

    /// GetTurnCredentials `Data` for the user of `workno`.
    pub(super) fn ccc_turn_credentials(&self, workno: &str) -> Result<Value, CccFail> {
        let id = self.ccc_identity_of(workno).ok_or_else(|| CccFail::no_user(workno))?;
        let password = self.ccc_derive("TURN", &id.user_id);
        Ok(json!({"UserName": id.user_id, "Password": &password[..32]}))
    }
}
