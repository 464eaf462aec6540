//! The envelope `{v, type, id, replyTo?, seq?, ts, payload}` and the host's commands.

use crate::core::actions::{allowed_actions, Action};
use crate::core::step::{Intent, RejectMode};
use crate::core::transfer::{allowed_modes, ConsultTarget, DeviceType, TransferKind, TransferRequest};
use crate::core::{ErrorKind, GatewayError, Session};
use crate::i18n::Lang;
use serde_json::{json, Value};

/// The protocol version hosts must send in `v`.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub v: u32,
    /// `type` on the wire.
    pub kind: String,
    pub id: String,
    pub reply_to: Option<String>,
    pub seq: Option<u64>,
    pub ts: u64,
    pub payload: Value,
}

impl Envelope {
    pub fn new(kind: &str, id: String, ts: u64, payload: Value) -> Envelope {
        Envelope { v: VERSION, kind: kind.to_string(), id, reply_to: None, seq: None, ts, payload }
    }

    pub fn reply(to: &Envelope, kind: &str, id: String, ts: u64, payload: Value) -> Envelope {
        Envelope { reply_to: Some(to.id.clone()), ..Envelope::new(kind, id, ts, payload) }
    }

    /// The envelope as it goes to a host: `{v, type, id, replyTo?, seq?, ts, payload}`.
    pub fn to_json(&self) -> Value {
        let mut v =
            json!({ "v": self.v, "type": self.kind, "id": self.id, "ts": self.ts, "payload": self.payload });
        if let Some(r) = &self.reply_to {
            v["replyTo"] = json!(r);
        }
        if let Some(seq) = self.seq {
            v["seq"] = json!(seq);
        }
        v
    }
}

/// Stable error codes for hosts. Vendor codes are mapped onto these; the vendor's own code
/// travels alongside in `vendorCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedError {
    /// Not the envelope, or `v` is not 1.
    Malformed,
    UnsupportedVersion,
    /// A message other than hello before the handshake.
    NotReady,
    UnknownType,
    InvalidArgument,
    /// The agent's current state does not allow this command (see `allowedActions`).
    NotAllowed,
    NoCall,
    NotSignedIn,
    /// The vendor cannot do this at all.
    Unsupported,
    /// The same command is already on its way (a repeat is dropped, not sent twice).
    InProgress,
    GatewayRefused,
    GatewayUnavailable,
}

impl EmbedError {
    pub fn code(self) -> &'static str {
        match self {
            EmbedError::Malformed => "malformed",
            EmbedError::UnsupportedVersion => "unsupported_version",
            EmbedError::NotReady => "not_ready",
            EmbedError::UnknownType => "unknown_type",
            EmbedError::InvalidArgument => "invalid_argument",
            EmbedError::NotAllowed => "not_allowed",
            EmbedError::NoCall => "no_call",
            EmbedError::NotSignedIn => "not_signed_in",
            EmbedError::Unsupported => "unsupported",
            EmbedError::InProgress => "in_progress",
            EmbedError::GatewayRefused => "gateway_refused",
            EmbedError::GatewayUnavailable => "gateway_unavailable",
        }
    }

    pub fn message(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            EmbedError::Malformed => ("消息格式不正确", "The message is not a valid envelope"),
            EmbedError::UnsupportedVersion => ("不支持的协议版本", "Unsupported protocol version"),
            EmbedError::NotReady => {
                ("请先发送 hello 完成握手", "Send hello first: the handshake is not done")
            }
            EmbedError::UnknownType => ("未知的消息类型", "Unknown message type"),
            EmbedError::InvalidArgument => ("参数不正确", "Invalid argument"),
            EmbedError::NotAllowed => {
                ("座席当前状态不允许这个操作", "The agent's current state does not allow this")
            }
            EmbedError::NoCall => ("没有对应的呼叫", "There is no such call"),
            EmbedError::NotSignedIn => ("座席未签入", "The agent is not signed in"),
            EmbedError::Unsupported => {
                ("当前厂商不支持这个操作", "The contact-center vendor does not support this")
            }
            EmbedError::InProgress => ("同样的操作正在进行中", "The same command is already in progress"),
            EmbedError::GatewayRefused => ("网关拒绝了这个操作", "The gateway refused the command"),
            EmbedError::GatewayUnavailable => ("无法连接网关", "The gateway cannot be reached"),
        };
        if lang == Lang::Zh {
            zh
        } else {
            en
        }
    }

    /// The error payload of a reply: stable code, zh and en text, and the vendor's code.
    pub fn payload(self, vendor: Option<&GatewayError>) -> Value {
        let mut p = json!({
            "code": self.code(),
            "message": { "zh-CN": self.message(Lang::Zh), "en": self.message(Lang::En) },
        });
        if let Some(g) = vendor.filter(|g| !g.code.is_empty()) {
            p["vendorCode"] = json!(g.code);
            p["vendorMessage"] = json!(g.message);
        }
        p
    }

    /// Why the toolbar's gate did not send a command.
    pub fn from_refusal(r: crate::core::Refusal) -> EmbedError {
        match r {
            crate::core::Refusal::NotAllowed => EmbedError::NotAllowed,
            crate::core::Refusal::NoSuchCall => EmbedError::NoCall,
            crate::core::Refusal::InProgress => EmbedError::InProgress,
        }
    }

    pub fn from_gateway(e: &GatewayError) -> EmbedError {
        match e.kind {
            _ if e.code == "Unsupported" => EmbedError::Unsupported,
            kind => EmbedError::from_kind(kind),
        }
    }

    /// The stable code of a classified vendor error.
    pub fn from_kind(kind: ErrorKind) -> EmbedError {
        match kind {
            ErrorKind::SessionLost => EmbedError::NotSignedIn,
            ErrorKind::WrongState | ErrorKind::SignOutRefused => EmbedError::NotAllowed,
            ErrorKind::NoCall | ErrorKind::NoHeldCall => EmbedError::NoCall,
            ErrorKind::BadRequest => EmbedError::InvalidArgument,
            ErrorKind::Unavailable | ErrorKind::AuthRetry => EmbedError::GatewayUnavailable,
            _ => EmbedError::GatewayRefused,
        }
    }
}

/// The commands a host may send (announced in `ready`).
pub const COMMANDS: &[&str] = &[
    "subscribe",
    "getSnapshot",
    "dial",
    "answer",
    "reject",
    "hangup",
    "hold",
    "retrieve",
    "mute",
    "unmute",
    "sendDtmf",
    "transfer",
    "consult",
    "consultCancel",
    "consultComplete",
    "conference",
    "dropHeld",
    "setState",
    "endWrapUp",
    "signOut",
];

/// The events a host is sent (announced in `ready`).
pub const EVENTS: &[&str] = &[
    "agent.stateChanged",
    "call.ringing",
    "call.dialing",
    "call.answered",
    "call.held",
    "call.resumed",
    "call.muted",
    "call.unmuted",
    "call.consultStarted",
    "call.consultCancelled",
    "call.transferred",
    "call.failed",
    "call.ended",
    "call.detail",
    "notice",
    "connection.status",
];

/// What a host may ask.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Hello {
        nonce: String,
    },
    Subscribe {
        since: Option<u64>,
    },
    Snapshot,
    /// A command that becomes an agent intent.
    Act(Intent),
}

fn str_arg<'a>(p: &'a Value, key: &str) -> Result<&'a str, EmbedError> {
    p.get(key).and_then(Value::as_str).filter(|s| !s.trim().is_empty()).ok_or(EmbedError::InvalidArgument)
}

fn device_of(kind: &str) -> Option<DeviceType> {
    Some(match kind {
        "skill" | "skillQueue" | "skillGroup" => DeviceType::SkillQueue,
        "agent" => DeviceType::Agent,
        "ivr" => DeviceType::Ivr,
        "accessCode" => DeviceType::AccessCode,
        "external" | "number" => DeviceType::External,
        _ => return None,
    })
}

fn require(s: &Session, action: Action) -> Result<(), EmbedError> {
    if !s.agent.is_signed_in() {
        return Err(EmbedError::NotSignedIn);
    }
    if !s.supported.contains(action) {
        return Err(EmbedError::Unsupported);
    }
    if allowed_actions(s).contains(action) {
        Ok(())
    } else {
        Err(EmbedError::NotAllowed)
    }
}

/// Reads a host command. Agent commands are checked against what the current state allows,
/// so a host gets `not_allowed` at once instead of a gateway error later.
pub fn parse_command(
    env: &Envelope,
    s: &Session,
    transfer_kind: TransferKind,
) -> Result<Command, EmbedError> {
    if env.v != VERSION {
        return Err(EmbedError::UnsupportedVersion);
    }
    let p = &env.payload;
    let ringing = || s.ringing().map(|c| c.id.clone()).ok_or(EmbedError::NoCall);
    let active = || s.active().map(|c| c.id.clone()).ok_or(EmbedError::NoCall);
    let intent = match env.kind.as_str() {
        "hello" => return Ok(Command::Hello { nonce: str_arg(p, "nonce")?.to_string() }),
        "subscribe" => return Ok(Command::Subscribe { since: p.get("since").and_then(Value::as_u64) }),
        "getSnapshot" => return Ok(Command::Snapshot),
        "dial" => {
            let number = str_arg(p, "number")?.trim().to_string();
            if !crate::core::validate::dial_number(&number) {
                return Err(EmbedError::InvalidArgument);
            }
            require(s, Action::CallOut)?;
            Intent::CallOut { number }
        }
        "answer" => {
            require(s, Action::Answer)?;
            Intent::Answer { call_id: ringing()? }
        }
        "reject" => {
            let mode = match p.get("mode").and_then(Value::as_i64) {
                Some(1) => RejectMode::Requeue,
                Some(2) => RejectMode::Release,
                _ => return Err(EmbedError::InvalidArgument),
            };
            require(s, Action::Reject)?;
            Intent::Reject { call_id: ringing()?, mode }
        }
        "hangup" => {
            require(s, Action::HangUp)?;
            Intent::HangUp { call_id: active()? }
        }
        "hold" => {
            require(s, Action::Hold)?;
            Intent::Hold { call_id: active()? }
        }
        "retrieve" => {
            let call_id = str_arg(p, "callId")?.to_string();
            require(s, Action::Retrieve)?;
            if !s.held().any(|c| c.id == call_id) {
                return Err(EmbedError::NoCall);
            }
            Intent::Retrieve { call_id }
        }
        "transfer" => {
            let t = p.get("target").unwrap_or(&Value::Null);
            let device = t
                .get("type")
                .and_then(Value::as_str)
                .and_then(device_of)
                .ok_or(EmbedError::InvalidArgument)?;
            let address = str_arg(t, "address")?.to_string();
            let mode = match p.get("mode").and_then(Value::as_i64) {
                Some(m) => m,
                None => allowed_modes(transfer_kind, device).first().ok_or(EmbedError::InvalidArgument)?.code,
            };
            require(s, Action::Transfer)?;
            let req = TransferRequest {
                call_id: active()?,
                kind: transfer_kind,
                device,
                mode,
                address,
                calldata: p.get("calldata").and_then(Value::as_str).map(String::from),
                skill_id: None,
            };
            if !crate::core::transfer::check(&req).is_empty() {
                return Err(EmbedError::InvalidArgument);
            }
            Intent::Transfer(req)
        }
        "consult" => {
            let t = p.get("target").unwrap_or(&Value::Null);
            let device = match t.get("type").and_then(Value::as_str).and_then(device_of) {
                Some(d @ (DeviceType::Agent | DeviceType::SkillQueue)) => d,
                _ => return Err(EmbedError::InvalidArgument),
            };
            let address = str_arg(t, "address")?.to_string();
            require(s, Action::Consult)?;
            Intent::Consult { customer_call_id: active()?, target: ConsultTarget { device, address } }
        }
        "consultCancel" => {
            require(s, Action::CancelConsult)?;
            let c = s.consult.as_ref().ok_or(EmbedError::NotAllowed)?;
            Intent::CancelConsult {
                customer_call_id: c.customer_call_id.clone(),
                leg_call_id: c.leg_call_id.clone(),
            }
        }
        "consultComplete" => {
            require(s, Action::CompleteConsult)?;
            let c = s.consult.as_ref().ok_or(EmbedError::NotAllowed)?;
            Intent::CompleteConsult { customer_call_id: c.customer_call_id.clone() }
        }
        "conference" => {
            require(s, Action::Conference)?;
            let c = s.consult.as_ref().ok_or(EmbedError::NotAllowed)?;
            Intent::Conference { customer_call_id: c.customer_call_id.clone() }
        }
        "mute" => {
            require(s, Action::Mute)?;
            Intent::Mute { call_id: active()? }
        }
        "unmute" => {
            require(s, Action::Unmute)?;
            Intent::Unmute { call_id: active()? }
        }
        "sendDtmf" => {
            let digits = str_arg(p, "digits")?.to_string();
            let dtmf = |b: u8| b.is_ascii_digit() || b == b'*' || b == b'#';
            if digits.len() > 32 || !digits.bytes().all(dtmf) {
                return Err(EmbedError::InvalidArgument);
            }
            require(s, Action::Dtmf)?;
            Intent::Dtmf { call_id: active()?, digits }
        }
        "dropHeld" => {
            let call_id = str_arg(p, "callId")?.to_string();
            require(s, Action::HangUp)?;
            if !s.held().any(|c| c.id == call_id) {
                return Err(EmbedError::NoCall);
            }
            Intent::DropCall { call_id }
        }
        "endWrapUp" => {
            require(s, Action::LeaveWrapUp)?;
            Intent::LeaveWrapUp
        }
        "setState" => match p.get("state").and_then(Value::as_str) {
            Some("ready") => {
                require(s, Action::Ready)?;
                Intent::Ready
            }
            Some("busy") => {
                require(s, Action::Busy)?;
                let reason = p.get("reason").and_then(Value::as_i64).filter(|r| (200..=250).contains(r));
                Intent::Busy { reason }
            }
            Some("rest") => {
                require(s, Action::TimedRest)?;
                let minutes = p.get("minutes").and_then(Value::as_u64).unwrap_or(15).clamp(1, 1439);
                Intent::Rest {
                    seconds: minutes * 60,
                    cause: p.get("cause").and_then(Value::as_i64).unwrap_or(0),
                }
            }
            _ => return Err(EmbedError::InvalidArgument),
        },
        "signOut" => {
            require(s, Action::SignOut)?;
            Intent::SignOut
        }
        _ => return Err(EmbedError::UnknownType),
    };
    Ok(Command::Act(intent))
}

/// Reads a raw message into an envelope (anything else is `malformed`).
pub fn parse_envelope(raw: &Value) -> Result<Envelope, EmbedError> {
    let text = |k: &str| raw.get(k).and_then(Value::as_str).map(String::from);
    let env = Envelope {
        v: raw.get("v").and_then(Value::as_u64).ok_or(EmbedError::Malformed)? as u32,
        kind: text("type").ok_or(EmbedError::Malformed)?,
        id: text("id").ok_or(EmbedError::Malformed)?,
        reply_to: text("replyTo"),
        seq: raw.get("seq").and_then(Value::as_u64),
        ts: raw.get("ts").and_then(Value::as_u64).ok_or(EmbedError::Malformed)?,
        payload: raw.get("payload").cloned().unwrap_or(Value::Null),
    };
    if env.v != VERSION {
        return Err(EmbedError::UnsupportedVersion);
    }
    if env.id.is_empty() || env.kind.is_empty() {
        return Err(EmbedError::Malformed);
    }
    Ok(env)
}

/// Whether an origin is on the allowlist. Entries are exact origins, or `scheme://host:*` for
/// any port (loopback development).
pub fn origin_allowed(origin: &str, allowlist: &[String]) -> bool {
    allowlist.iter().any(|allowed| {
        if let Some(prefix) = allowed.strip_suffix(":*") {
            origin.strip_prefix(prefix).is_some_and(|rest| {
                rest.strip_prefix(':')
                    .is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
            })
        } else {
            origin == allowed
        }
    })
}
