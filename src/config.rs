//! Where the gateway is and how the toolbar is set up: from URL parameters (and, once the
//! embedding API lands, from the host's handshake). Pure, so it is tested on the host.

use crate::i18n::Lang;

/// Which contact-center protocol the toolbar speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Vendor {
    /// Huawei CEC CC-Gateway agent REST API.
    #[default]
    Huawei,
    /// Alibaba Cloud CCC OpenAPI 2020-07-01, through the signing bridge.
    Aliyun,
}

/// The toolbar's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The gateway's origin; empty means this page's origin (a reverse proxy forwards
    /// `/agentgateway/` to the CC-Gateway, so `Set-GUID` is readable and no CORS is needed).
    pub gateway: String,
    /// Pre-filled sign-in fields.
    pub agent_id: String,
    pub phone: String,
    pub lang: Option<Lang>,
    /// Busy reasons the agent picks from: gateway code 200–250 and its name.
    pub busy_reasons: Vec<(i64, String)>,
    pub vendor: Vendor,
    /// CCC: skill groups to sign in to (empty: every group the instance lists).
    pub skill_groups: Vec<String>,
    /// CCC: how often PollUserStatus runs, in milliseconds.
    pub poll_ms: u32,
    /// Keyboard shortcuts (`keys=answer:F2;hangup:Ctrl+Shift+H` overrides the defaults).
    pub keymap: crate::keys::Keymap,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            gateway: String::new(),
            agent_id: String::new(),
            phone: String::new(),
            lang: None,
            busy_reasons: vec![
                (200, "Lunch / 午餐".into()),
                (201, "Training / 培训".into()),
                (202, "Meeting / 会议".into()),
            ],
            vendor: Vendor::Huawei,
            skill_groups: Vec::new(),
            poll_ms: 1000,
            keymap: crate::keys::Keymap::default(),
        }
    }
}

impl Config {
    /// Reads `gateway`, `agent`, `phone`, `lang`, `busyReasons` (`200:Lunch;201:Training`),
    /// `vendor` (`huawei` or `aliyun`), `skillGroups` and `pollMs`.
    /// Unknown keys are ignored; bad values keep the default.
    pub fn from_params<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> Config {
        let mut c = Config::default();
        for (key, value) in params {
            match key {
                "gateway" => c.gateway = value.trim_end_matches('/').to_string(),
                "agent" => c.agent_id = value.to_string(),
                "phone" => c.phone = value.to_string(),
                "lang" => c.lang = Some(Lang::from_tag(value)),
                "vendor" => {
                    c.vendor = match value {
                        "aliyun" | "ccc" => Vendor::Aliyun,
                        _ => Vendor::Huawei,
                    }
                }
                "skillGroups" => {
                    c.skill_groups =
                        value.split(',').map(str::trim).filter(|g| !g.is_empty()).map(String::from).collect()
                }
                "keys" => c.keymap = c.keymap.clone().with_overrides(value),
                // Faster than 250 ms would hammer the bridge; slower than 5 s would miss rings.
                "pollMs" => c.poll_ms = value.parse().map_or(c.poll_ms, |ms: u32| ms.clamp(250, 5000)),
                "busyReasons" => {
                    let reasons: Vec<_> = value
                        .split(';')
                        .filter_map(|item| {
                            let (code, name) = item.split_once(':')?;
                            let code: i64 = code.trim().parse().ok().filter(|c| (200..=250).contains(c))?;
                            Some((code, name.trim().to_string())).filter(|(_, n)| !n.is_empty())
                        })
                        .collect();
                    if !reasons.is_empty() {
                        c.busy_reasons = reasons;
                    }
                }
                _ => {}
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_override_defaults_and_bad_values_are_ignored() {
        let c = Config::from_params([
            ("gateway", "https://gw.example:8043/"),
            ("agent", "101"),
            ("busyReasons", "200:Lunch;999:Bad;x:y;201: Coaching "),
            ("lang", "zh-CN"),
            ("other", "1"),
        ]);
        assert_eq!(c.gateway, "https://gw.example:8043");
        assert_eq!(c.agent_id, "101");
        assert_eq!(c.busy_reasons, vec![(200, "Lunch".into()), (201, "Coaching".into())]);
        assert_eq!(c.lang, Some(Lang::Zh));
        assert_eq!(Config::from_params([("busyReasons", "")]).busy_reasons, Config::default().busy_reasons);
        let c = Config::from_params([
            ("vendor", "aliyun"),
            ("skillGroups", "sg1@ccc, sg2@ccc"),
            ("pollMs", "10"),
        ]);
        assert_eq!((c.vendor, c.skill_groups.len(), c.poll_ms), (Vendor::Aliyun, 2, 250));
    }
}
