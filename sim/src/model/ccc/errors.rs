//! CCC's error answers: HTTP status, `Code`, the message template filled with `Params`.

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
