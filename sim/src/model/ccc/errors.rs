//! CCC's error answers: HTTP status, `Code`, the message template filled with `Params`; and
//! the answer of a `cccError` fault (`/sim/fault`), any code on any action.

use crate::model::{Fault, Sim};
use std::collections::BTreeMap;

/// Message templates of the codes the seeds' error tables list (seed 000 CancelAttendedTransfer,
/// seed 003 GetCallDetailRecord) and of the other codes the simulator answers: (HTTP status,
/// template).
fn known(code: &str) -> Option<(u16, &'static str)> {
    Some(match code {
        "Parameter.Blank" => (400, "The parameter %s may not be null or blank."),
        "Parameter.Invalid" => (400, "The parameter %s (%s) is invalid."),
        "Parameter.Enumeration" => (400, "The parameter %s must be one of (%s)."),
        "InvalidOperation.ChannelState" => {
            (400, "The operation is not allowed. Channel stats (%s) does not meet expectations (%s).")
        }
        "InvalidOperation.UserState" => {
            (400, "The operation is not allowed. User state (%s) does not meet expectations (%s).")
        }
        "NotExists.ChannelId" => (404, "The specified channel %s does not exist in call %s."),
        "NotExists.InstanceId" => (404, "The specified instance %s does not exist."),
        "NotExists.JobId" => (404, "The call %s does not exist."),
        "NotExists.ContactId" => (404, "The specified contact %s does not exist."),
        "NotExists.UserId" => (404, "The specified user %s does not exist."),
        "NotExists.SkillGroupId" => (404, "The specified skill group %s does not exist."),
        "InternalService.CTI" => (500, "An internal CTI service error occurred. %s"),
        _ => return None,
    })
}

/// HTTP status of a CCC error code: the seed tables' status for a listed code, else by family
/// (INFERRED for unlisted codes): `NotExists.*` 404, `Forbidden*` 403, `Throttling*` 429,
/// `InternalService*`/`InternalError*` 500, `ServiceUnavailable*` 503, anything else 400.
pub fn default_error_status(code: &str) -> u16 {
    if let Some((status, _)) = known(code) {
        return status;
    }
    let family = |p: &str| code.starts_with(p);
    if family("NotExists.") {
        404
    } else if family("Forbidden") {
        403
    } else if family("Throttling") {
        429
    } else if family("InternalService") || family("InternalError") {
        500
    } else if family("ServiceUnavailable") {
        503
    } else {
        400
    }
}

/// A refused CCC request: HTTP status, `Code`, filled `Message`, `Params`.
#[derive(Debug, Clone, PartialEq)]
pub struct CccFail {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub params: Vec<String>,
}

impl CccFail {
    /// Fills each `%s` of the template with the next param.
    pub fn new(status: u16, code: &str, template: &str, params: Vec<String>) -> CccFail {
        let mut message = String::new();
        let mut rest = template;
        let mut it = params.iter();
        while let Some(i) = rest.find("%s") {
            message.push_str(&rest[..i]);
            message.push_str(it.next().map(String::as_str).unwrap_or(""));
            rest = &rest[i + 2..];
        }
        message.push_str(rest);
        CccFail { status, code: code.to_string(), message, params }
    }

    pub fn blank(name: &str) -> CccFail {
        CccFail::new(400, "Parameter.Blank", "The parameter %s may not be null or blank.", vec![name.into()])
    }

    pub fn invalid(name: &str, value: &str) -> CccFail {
        CccFail::new(
            400,
            "Parameter.Invalid",
            "The parameter %s (%s) is invalid.",
            vec![name.into(), value.into()],
        )
    }

    pub fn enumeration(name: &str, allowed: &str) -> CccFail {
        CccFail::new(
            400,
            "Parameter.Enumeration",
            "The parameter %s must be one of (%s).",
            vec![name.into(), allowed.into()],
        )
    }

    pub fn user_state(actual: &str, expected: &str) -> CccFail {
        CccFail::new(
            400,
            "InvalidOperation.UserState",
            "The operation is not allowed. User state (%s) does not meet expectations (%s).",
            vec![actual.into(), expected.into()],
        )
    }

    pub fn channel_state(actual: &str, expected: &str) -> CccFail {
        CccFail::new(
            400,
            "InvalidOperation.ChannelState",
            "The operation is not allowed. Channel stats (%s) does not meet expectations (%s).",
            vec![actual.into(), expected.into()],
        )
    }

    pub fn no_instance(id: &str) -> CccFail {
        CccFail::new(
            404,
            "NotExists.InstanceId",
            "The specified instance %s does not exist.",
            vec![id.into()],
        )
    }

    pub fn no_user(id: &str) -> CccFail {
        CccFail::new(404, "NotExists.UserId", "The specified user %s does not exist.", vec![id.into()])
    }

    pub fn no_job(id: &str) -> CccFail {
        CccFail::new(404, "NotExists.JobId", "The call %s does not exist.", vec![id.into()])
    }

    pub fn no_channel(channel: &str, job: &str) -> CccFail {
        CccFail::new(
            404,
            "NotExists.ChannelId",
            "The specified channel %s does not exist in call %s.",
            vec![channel.into(), job.into()],
        )
    }

    pub fn no_contact(id: &str) -> CccFail {
        CccFail::new(404, "NotExists.ContactId", "The specified contact %s does not exist.", vec![id.into()])
    }

    pub fn no_skill_group(id: &str) -> CccFail {
        CccFail::new(
            404,
            "NotExists.SkillGroupId",
            "The specified skill group %s does not exist.",
            vec![id.into()],
        )
    }
}

impl Sim {
    /// The answer of a `cccError` fault to a request with these business parameters: the
    /// fault's code and status; its `message` verbatim, else the code's template filled with
    /// the fault's `params`, else with values taken from the request (the JobId the request
    /// names, the user's current UserState, ...).
    pub fn ccc_fault_error(&self, fault: &Fault, request: &BTreeMap<String, String>) -> CccFail {
        let code = fault.code.clone().unwrap_or_default();
        let status = fault.status;
        let get = |k: &str| request.get(k).filter(|v| !v.trim().is_empty()).cloned();
        if let Some(message) = &fault.message {
            return CccFail {
                status,
                code,
                message: message.clone(),
                params: fault.params.clone().unwrap_or_default(),
            };
        }
        let Some((_, template)) = known(&code) else {
            let params = fault.params.clone().unwrap_or_default();
            let message = if params.is_empty() {
                format!("Simulated error {code}.")
            } else {
                format!("Simulated error {code}: {}.", params.join(", "))
            };
            return CccFail { status, code, message, params };
        };
        let params = fault.params.clone().unwrap_or_else(|| match code.as_str() {
            "Parameter.Blank" => vec![["JobId", "ContactId", "UserId"]
                .into_iter()
                .find(|k| get(k).is_some())
                .unwrap_or("InstanceId")
                .to_string()],
            "Parameter.Invalid" => vec!["JobId".into(), get("JobId").unwrap_or_default()],
            "Parameter.Enumeration" => vec!["TransfereeType".into(), "AGENT,SKILL_GROUP,EXTERNAL".into()],
            "InvalidOperation.ChannelState" => vec!["RELEASED".into(), "ANSWERED".into()],
            "InvalidOperation.UserState" => {
                let actual = get("UserId")
                    .and_then(|u| self.ccc_workno(&u))
                    .and_then(|w| self.agents.get(&w))
                    .map(|a| super::user_state(a, &self.calls).to_string())
                    .unwrap_or_else(|| "OFFLINE".into());
                vec![actual, "TALKING".into()]
            }
            "NotExists.ChannelId" => {
                vec![get("ChannelId").unwrap_or_default(), get("JobId").unwrap_or_default()]
            }
            "NotExists.InstanceId" => vec![get("InstanceId").unwrap_or_default()],
            "NotExists.JobId" => vec![get("JobId").unwrap_or_default()],
            "NotExists.ContactId" => vec![get("ContactId").unwrap_or_default()],
            "NotExists.UserId" => vec![get("UserId").unwrap_or_default()],
            "NotExists.SkillGroupId" => vec![get("SkillGroupId").unwrap_or_default()],
            "InternalService.CTI" => vec!["simulated fault (/sim/fault cccError)".into()],
            _ => Vec::new(),
        });
        CccFail::new(status, &code, template, params)
    }
}
