//! Transfers and consults: target types, the devicetype × mode table, plain-words mode names,
//! and the checks done before anything is sent (cc-gateway.md §4.3–§4.4, seed 002).

use crate::i18n::Msg;

/// Which API carries the transfer: it follows the call's media.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferKind {
    /// `voicecall/{id}/transfer`.
    Voice,
    /// `mediacall/{id}/transfer` (seed 002): chat and other multimedia sessions.
    Media,
    /// Alibaba CCC: BlindTransfer, or InitiateAttendedTransfer (which becomes a consult).
    Ccc,
}

impl TransferKind {
    /// The transfer kind of a call: CCC for the CCC adapter, else it follows the call's media.
    pub fn for_call(ccc: bool, media: crate::core::Media) -> TransferKind {
        match (ccc, media) {
            (true, _) => TransferKind::Ccc,
            (false, crate::core::Media::Chat) => TransferKind::Media,
            (false, _) => TransferKind::Voice,
        }
    }
}

/// Where a call is transferred to (CC-Gateway `devicetype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceType {
    SkillQueue,
    Agent,
    Ivr,
    AccessCode,
    External,
}

impl DeviceType {
    pub fn code(self) -> i64 {
        match self {
            DeviceType::SkillQueue => 1,
            DeviceType::Agent => 2,
            DeviceType::Ivr => 3,
            DeviceType::AccessCode => 4,
            DeviceType::External => 5,
        }
    }

    pub fn from_code(code: i64) -> Option<DeviceType> {
        Some(match code {
            1 => DeviceType::SkillQueue,
            2 => DeviceType::Agent,
            3 => DeviceType::Ivr,
            4 => DeviceType::AccessCode,
            5 => DeviceType::External,
            _ => return None,
        })
    }

    pub fn msg(self) -> Msg {
        match self {
            DeviceType::SkillQueue => Msg::TargetSkillQueue,
            DeviceType::Agent => Msg::TargetAgent,
            DeviceType::Ivr => Msg::TargetIvr,
            DeviceType::AccessCode => Msg::TargetAccessCode,
            DeviceType::External => Msg::TargetExternal,
        }
    }

    /// The target types each transfer kind offers.
    pub fn offered(kind: TransferKind) -> &'static [DeviceType] {
        match kind {
            TransferKind::Voice => &[
                DeviceType::SkillQueue,
                DeviceType::Agent,
                DeviceType::Ivr,
                DeviceType::AccessCode,
                DeviceType::External,
            ],
            TransferKind::Media => &[DeviceType::SkillQueue, DeviceType::Agent, DeviceType::AccessCode],
            TransferKind::Ccc => &[DeviceType::SkillQueue, DeviceType::Agent, DeviceType::External],
        }
    }
}

/// A transfer mode as the gateway numbers it, with what it means for the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferMode {
    pub code: i64,
    pub msg: Msg,
    /// The agent leaves at once (a blind transfer): no progress to wait for.
    pub leaves_at_once: bool,
}

const RELEASE: TransferMode = TransferMode { code: 0, msg: Msg::ModeRelease, leaves_at_once: true };
const SUCCESS: TransferMode = TransferMode { code: 2, msg: Msg::ModeSuccess, leaves_at_once: false };
const IVR_SUSPEND: TransferMode = TransferMode { code: 1, msg: Msg::ModeIvrSuspend, leaves_at_once: true };
const EXT_RELEASE: TransferMode = TransferMode { code: 1, msg: Msg::ModeRelease, leaves_at_once: true };
const EXT_TALK: TransferMode = TransferMode { code: 3, msg: Msg::ModeTalk, leaves_at_once: false };
const EXT_THREE: TransferMode = TransferMode { code: 4, msg: Msg::ModeThreeParty, leaves_at_once: false };
/// CCC InitiateAttendedTransfer: the agent talks to the target first (a consult).
const ATTENDED: TransferMode = TransferMode { code: 3, msg: Msg::ModeTalk, leaves_at_once: false };

/// The modes the devicetype × mode table allows (cc-gateway.md §4.3; seed 002 for media).
/// Agent mode 3 ("specified" transfer) is documented as not open, so it is not offered.
pub fn allowed_modes(kind: TransferKind, device: DeviceType) -> &'static [TransferMode] {
    match (kind, device) {
        (TransferKind::Media, DeviceType::SkillQueue | DeviceType::Agent | DeviceType::AccessCode) => {
            &[RELEASE, SUCCESS]
        }
        (TransferKind::Media, _) => &[],
        (TransferKind::Voice, DeviceType::SkillQueue | DeviceType::Agent | DeviceType::AccessCode) => {
            &[RELEASE, SUCCESS]
        }
        (TransferKind::Voice, DeviceType::Ivr) => &[RELEASE, IVR_SUSPEND],
        (TransferKind::Voice, DeviceType::External) => &[EXT_RELEASE, SUCCESS, EXT_TALK, EXT_THREE],
        (TransferKind::Ccc, DeviceType::SkillQueue | DeviceType::Agent | DeviceType::External) => {
            &[RELEASE, ATTENDED]
        }
        (TransferKind::Ccc, _) => &[],
    }
}

/// A transfer the agent asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRequest {
    pub call_id: String,
    pub kind: TransferKind,
    pub device: DeviceType,
    pub mode: i64,
    pub address: String,
    pub calldata: Option<String>,
    pub skill_id: Option<i64>,
}

/// The longest address the gateway takes, in characters.
pub const MAX_ADDRESS_CHARS: usize = 24;
/// The most call data a multimedia transfer carries, in UTF-8 bytes (seed 002).
pub const MAX_MEDIA_CALLDATA_BYTES: usize = 2048;
/// The most call data a voice transfer carries (`callappdata` ≤ 16 KB).
pub const MAX_VOICE_CALLDATA_BYTES: usize = 16 * 1024;

/// Why a transfer cannot be sent; shown inline next to the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferProblem {
    NoAddress,
    AddressTooLong,
    CalldataTooLong { bytes: usize, max: usize },
    SkillOnlyForAgent,
    ModeNotAllowed,
}

impl TransferProblem {
    pub fn msg(self) -> Msg {
        match self {
            TransferProblem::NoAddress => Msg::TransferNoAddress,
            TransferProblem::AddressTooLong => Msg::TransferAddressTooLong,
            TransferProblem::CalldataTooLong { .. } => Msg::TransferCalldataTooLong,
            TransferProblem::SkillOnlyForAgent => Msg::TransferSkillOnlyForAgent,
            TransferProblem::ModeNotAllowed => Msg::TransferModeNotAllowed,
        }
    }
}

/// Checks a transfer before it is sent. Byte counts are UTF-8: a Chinese character is 3 bytes.
pub fn check(req: &TransferRequest) -> Vec<TransferProblem> {
    let mut problems = Vec::new();
    let address = req.address.trim();
    if address.is_empty() {
        problems.push(TransferProblem::NoAddress);
    } else if address.chars().count() > MAX_ADDRESS_CHARS {
        problems.push(TransferProblem::AddressTooLong);
    }
    let max = match req.kind {
        TransferKind::Media => MAX_MEDIA_CALLDATA_BYTES,
        TransferKind::Voice | TransferKind::Ccc => MAX_VOICE_CALLDATA_BYTES,
    };
    if let Some(bytes) = req.calldata.as_ref().map(|c| c.len()).filter(|b| *b > max) {
        problems.push(TransferProblem::CalldataTooLong { bytes, max });
    }
    if req.skill_id.is_some() && req.device != DeviceType::Agent {
        problems.push(TransferProblem::SkillOnlyForAgent);
    }
    if !allowed_modes(req.kind, req.device).iter().any(|m| m.code == req.mode) {
        problems.push(TransferProblem::ModeNotAllowed);
    }
    problems
}

/// Whether the agent stays on the call until the outcome (so the toolbar shows progress).
pub fn waits_for_outcome(req: &TransferRequest) -> bool {
    allowed_modes(req.kind, req.device).iter().any(|m| m.code == req.mode && !m.leaves_at_once)
}

/// Whom a consult rings: another agent or a skill queue (innerhelp devicetype 2 / 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsultTarget {
    pub device: DeviceType,
    pub address: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(kind: TransferKind, device: DeviceType, mode: i64) -> TransferRequest {
        TransferRequest {
            call_id: "1-1".into(),
            kind,
            device,
            mode,
            address: "205".into(),
            calldata: None,
            skill_id: None,
        }
    }

    #[test]
    fn the_mode_table_of_the_reference() {
        let codes = |k, d| allowed_modes(k, d).iter().map(|m| m.code).collect::<Vec<_>>();
        use DeviceType::*;
        use TransferKind::*;
        assert_eq!(codes(Voice, SkillQueue), [0, 2]);
        assert_eq!(codes(Voice, Agent), [0, 2]);
        assert_eq!(codes(Voice, Ivr), [0, 1]);
        assert_eq!(codes(Voice, AccessCode), [0, 2]);
        assert_eq!(codes(Voice, External), [1, 2, 3, 4]);
        assert_eq!(codes(Media, SkillQueue), [0, 2]);
        assert_eq!(codes(Media, Agent), [0, 2]);
        assert_eq!(codes(Media, AccessCode), [0, 2]);
        assert!(codes(Media, External).is_empty());
        assert_eq!(DeviceType::offered(Media), [SkillQueue, Agent, AccessCode]);
        for kind in [Voice, Media] {
            for d in DeviceType::offered(kind) {
                assert!(!allowed_modes(kind, *d).is_empty(), "{kind:?} {d:?} offers no mode");
            }
        }
        assert!(check(&req(Voice, External, 0)).contains(&TransferProblem::ModeNotAllowed));
        assert!(check(&req(Voice, Agent, 3)).contains(&TransferProblem::ModeNotAllowed));
    }

    #[test]
    fn address_is_counted_in_characters_and_calldata_in_utf8_bytes() {
        let mut r = req(TransferKind::Media, DeviceType::Agent, 2);
        r.address = "a".repeat(24);
        assert!(check(&r).is_empty());
        r.address = "a".repeat(25);
        assert_eq!(check(&r), [TransferProblem::AddressTooLong]);
        r.address = "工".repeat(24);
        assert!(check(&r).is_empty(), "24 Chinese characters are 24 characters");

        r.address = "205".into();
        // 682 Chinese characters (3 bytes each) + 2 ASCII = 2048 bytes exactly.
        r.calldata = Some(format!("{}ab", "客".repeat(682)));
        assert_eq!(r.calldata.as_ref().unwrap().len(), 2048);
        assert!(check(&r).is_empty());
        r.calldata = Some(format!("{}abc", "客".repeat(682)));
        assert_eq!(check(&r), [TransferProblem::CalldataTooLong { bytes: 2049, max: 2048 }]);
        r.kind = TransferKind::Voice;
        assert!(check(&r).is_empty(), "voice callappdata may be 16 KB");
    }

    #[test]
    fn skill_id_only_for_agent_targets_and_an_address_is_required() {
        let mut r = req(TransferKind::Media, DeviceType::SkillQueue, 0);
        r.skill_id = Some(3);
        assert_eq!(check(&r), [TransferProblem::SkillOnlyForAgent]);
        r.device = DeviceType::Agent;
        assert!(check(&r).is_empty());
        r.address = "  ".into();
        assert_eq!(check(&r), [TransferProblem::NoAddress]);
    }

    #[test]
    fn blind_transfers_need_no_progress() {
        assert!(!waits_for_outcome(&req(TransferKind::Voice, DeviceType::SkillQueue, 0)));
        assert!(waits_for_outcome(&req(TransferKind::Voice, DeviceType::SkillQueue, 2)));
        assert!(!waits_for_outcome(&req(TransferKind::Voice, DeviceType::Ivr, 1)));
    }
}
