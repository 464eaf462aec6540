//! What the runtime keeps in the browser's storage: the signed-in session (for a reload or
//! another tab), and the ring volume.

use crate::core::Session;

/// Where a signed-in session is remembered, so a reload (or another tab) carries on with it.
/// The Guid is a bearer credential: the CSP in docs/DEPLOYMENT.md keeps scripts out.
const SESSION_KEY: &str = "agentbar.session";

/// What survives a reload.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredSession {
    pub vendor: String,
    pub agent_id: String,
    pub guid: Option<String>,
    pub auto_enter_idle: bool,
    #[serde(default)]
    pub device_id: String,
    /// What the toolbar showed when the page went away: shown again at once after a reload,
    /// then corrected by the gateway's queries.
    #[serde(default)]
    pub session: Option<Session>,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn load_session() -> Option<StoredSession> {
    serde_json::from_str(&storage()?.get_item(SESSION_KEY).ok()??).ok()
}

pub fn save_session(stored: &StoredSession) {
    if let (Some(st), Ok(text)) = (storage(), serde_json::to_string(stored)) {
        let _ = st.set_item(SESSION_KEY, &text);
    }
}

pub fn forget_session() {
    if let Some(st) = storage() {
        let _ = st.remove_item(SESSION_KEY);
    }
}

const VOLUME_KEY: &str = "agentbar.volume";

/// The ring volume the agent chose (0–1), kept across sign-ins.
pub fn ring_volume() -> Option<f64> {
    storage()?.get_item(VOLUME_KEY).ok()??.parse().ok().filter(|v: &f64| (0.0..=1.0).contains(v))
}

pub fn save_ring_volume(volume: f64) {
    if let Some(st) = storage() {
        let _ = st.set_item(VOLUME_KEY, &volume.to_string());
    }
}
