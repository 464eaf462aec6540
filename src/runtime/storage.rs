//! What the runtime keeps in the browser's storage: the signed-in session (for a reload or
//! another tab), and the ring volume.

/// Where a signed-in session is remembered, so a reload (or another tab) carries on with it.
/// The Guid is a bearer credential: the CSP in docs/DEPLOYMENT.md keeps scripts out.
const SESSION_KEY: &str = "agentbar.session";

/// What survives a reload: only what a resync cannot rebuild. The calls and the agent's state
/// are read from the gateway again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub vendor: String,
    pub agent_id: String,
    /// The CC-Gateway's bearer credential (CCC's is the bridge's HttpOnly cookie instead).
    pub guid: Option<String>,
    pub auto_enter_idle: bool,
    pub device_id: String,
}

impl StoredSession {
    fn to_json(&self) -> String {
        serde_json::json!({
            "vendor": self.vendor, "agentId": self.agent_id, "guid": self.guid,
            "autoEnterIdle": self.auto_enter_idle, "deviceId": self.device_id,
        })
        .to_string()
    }

    fn from_json(text: &str) -> Option<StoredSession> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(String::from);
        Some(StoredSession {
            vendor: text("vendor")?,
            agent_id: text("agentId")?,
            guid: text("guid"),
            auto_enter_idle: v.get("autoEnterIdle").and_then(|x| x.as_bool()).unwrap_or(true),
            device_id: text("deviceId").unwrap_or_default(),
        })
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Whether a session is stored (without decoding it: the first load only needs to know).
pub fn has_session() -> bool {
    storage().is_some_and(|s| s.get_item(SESSION_KEY).ok().flatten().is_some())
}

pub fn load_session() -> Option<StoredSession> {
    StoredSession::from_json(&storage()?.get_item(SESSION_KEY).ok()??)
}

pub fn save_session(stored: &StoredSession) {
    if let Some(st) = storage() {
        let _ = st.set_item(SESSION_KEY, &stored.to_json());
    }
}

/// The last picture of the session, kept when the page goes away: shown again at once after
/// a reload (so a call that ended meanwhile is seen to end), then corrected by the gateway.
/// The same hand-written encoding a follower tab gets (`core::share`).
const PICTURE_KEY: &str = "agentbar.session.picture";

pub fn save_picture(session: &crate::core::Session) {
    if let Some(st) = storage() {
        let _ = st.set_item(PICTURE_KEY, &crate::core::share::session_json(session).to_string());
    }
}

pub fn load_picture() -> Option<crate::core::Session> {
    let text = storage()?.get_item(PICTURE_KEY).ok()??;
    crate::core::share::session_from(&serde_json::from_str(&text).ok()?)
}

pub fn forget_session() {
    if let Some(st) = storage() {
        let _ = st.remove_item(PICTURE_KEY);
    }
    if let Some(st) = storage() {
        let _ = st.remove_item(SESSION_KEY);
    }
}

const VOLUME_KEY: &str = "agentbar.volume";

/// The ring volume the agent chose, in percent, kept across sign-ins.
pub fn ring_volume() -> Option<u8> {
    crate::core::share::ring_volume_from(&storage()?.get_item(VOLUME_KEY).ok()??)
}

pub fn save_ring_volume(percent: u8) {
    if let Some(st) = storage() {
        let _ = st.set_item(VOLUME_KEY, &percent.to_string());
    }
}

#[cfg(feature = "softphone")]
const VOICE_INSTANCE_KEY: &str = "agentbar.voice.instance";

/// The browser phone's `+sip.instance` (RFC 5626): the same across reloads, so the registrar
/// replaces this browser's binding instead of adding one per reload.
#[cfg(feature = "softphone")]
pub fn voice_instance_id() -> String {
    if let Some(id) = storage().and_then(|st| st.get_item(VOICE_INSTANCE_KEY).ok().flatten()) {
        if id.starts_with("urn:uuid:") && id.len() == 45 {
            return id;
        }
    }
    let hex: String = (0..32).map(|_| format!("{:x}", (js_sys::Math::random() * 16.0) as u8 & 15)).collect();
    let id = format!(
        "urn:uuid:{}-{}-4{}-a{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    );
    if let Some(st) = storage() {
        let _ = st.set_item(VOICE_INSTANCE_KEY, &id);
    }
    id
}
