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

impl Vendor {
    /// `huawei`, `aliyun` (or `ccc`); anything else is not a vendor.
    pub fn parse(name: &str) -> Option<Vendor> {
        match name {
            "huawei" => Some(Vendor::Huawei),
            "aliyun" | "ccc" => Some(Vendor::Aliyun),
            _ => None,
        }
    }

    /// The vendor this build can speak: a one-vendor wasm (dist has one per vendor, and the
    /// boot script loads the deployment's) speaks only its own, whatever a link says.
    pub fn compiled(self) -> Vendor {
        match self {
            Vendor::Aliyun if !cfg!(feature = "aliyun") => Vendor::Huawei,
            Vendor::Huawei if !cfg!(feature = "huawei") => Vendor::Aliyun,
            v => v,
        }
    }
}

/// What `Deployment::read` needs of a JSON document. serde_json's values on the host; in the
/// browser, what `JSON.parse` made (`runtime`), so the toolbar's first load carries no JSON
/// parser of its own (13 KB of its gzip; the engine has serde_json).
pub trait JsonDoc: Sized {
    /// The member `key` of an object; None when absent, or when this is not an object.
    fn member(&self, key: &str) -> Option<Self>;
    /// A string's text; None for anything else.
    fn text(&self) -> Option<String>;
    /// An array's items; None for anything else.
    fn items(&self) -> Option<Vec<Self>>;
    fn null(&self) -> bool;
}

impl JsonDoc for serde_json::Value {
    fn member(&self, key: &str) -> Option<Self> {
        self.get(key).cloned()
    }
    fn text(&self) -> Option<String> {
        self.as_str().map(String::from)
    }
    fn items(&self) -> Option<Vec<Self>> {
        self.as_array().cloned()
    }
    fn null(&self) -> bool {
        self.is_null()
    }
}

/// What the deployment allows, from its `agentbar.json` (served next to the toolbar, so only
/// whoever deploys the toolbar decides it; a link cannot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// Host pages allowed to embed the toolbar and command it (docs/EMBEDDING.md).
    pub embed_origins: Vec<String>,
    /// Gateways the toolbar may send an agent's password to; the first is the default. ""
    /// is this page's own origin (a reverse proxy forwards to the real gateway).
    pub gateways: Vec<String>,
    /// Which look-and-language settings a host page may pass in `hello` (`lang`, `accent`,
    /// `density`, `mode`).
    pub host_settings: Vec<String>,
    /// The deployment's vendor (`"vendor"`); a `?vendor=` link may name the other one.
    pub vendor: Vendor,
    /// The event relay (`"relay"`, docs/RELAY.md): when set, a CC-Gateway agent signs in in push
    /// mode and takes events from the relay's stream instead of a long-poll. "" is this page's
    /// origin (a reverse proxy forwards `/relay/`).
    pub relay: Option<String>,
    /// The browser phone (`"softphone"`, issue 16): a SIP server over WebSocket. Only a build
    /// with the `softphone` feature uses it; the boot script loads that build when it is set.
    pub softphone: Option<Softphone>,
}

/// A SIP server that takes SIP over WebSocket with digest authentication (a PBX, an SBC, the
/// CC-Gateway's WebRTC agent mode). The agent types the extension and its password; neither
/// is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Softphone {
    /// `wss://…` (or `ws://` on loopback), subprotocol `sip`.
    pub ws: String,
    /// The SIP domain: the AOR is `sip:<extension>@<domain>`.
    pub domain: String,
    /// STUN/TURN servers for the RTCPeerConnection.
    pub ice_servers: Vec<IceServer>,
    /// `"info"`: digits go as SIP INFO; else RFC 4733 through `RTCDTMFSender`.
    pub dtmf_info: bool,
    /// A header of the INVITE carrying the contact centre's call id, to tie a SIP call to the
    /// toolbar's call (`core::voice::CALL_ID_HEADERS` are always looked at).
    pub call_id_header: Option<String>,
    /// A pre-loaded Route, e.g. `<sip:edge.example.com;lr>`.
    pub outbound_proxy: String,
    /// `"from": "ccc"`: the SIP server, extension and credentials come from CCC's
    /// GetLoginDetails (and TURN from GetTurnServerList/GetTurnCredentials) at sign-in; `ws`
    /// and `domain`, when given, override what those say.
    pub from_ccc: bool,
    /// Path of the WebSocket on CCC's `SipServerUrl` (INFERRED: not published; default `/`).
    pub ws_path: String,
    /// Where CCC's `Signature2` goes in SIP (INFERRED: not published): the digest password
    /// (`"password"`, the default) or a REGISTER header (`"header:X-Name"`).
    pub signature: SignaturePlacement,
}

/// Where a platform's SIP signature goes (see `Softphone::signature`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SignaturePlacement {
    #[default]
    Password,
    Header(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IceServer {
    pub urls: Vec<String>,
    pub username: Option<String>,
    pub credential: Option<String>,
}

impl Softphone {
    fn read<J: JsonDoc>(v: &J) -> Result<Softphone, String> {
        let text = |k: &str| {
            v.member(k).and_then(|x| x.text()).as_deref().map(str::trim).unwrap_or_default().to_string()
        };
        let from_ccc = text("from") == "ccc";
        let ws = text("ws");
        if !(ws.starts_with("wss://") || ws.starts_with("ws://") || (from_ccc && ws.is_empty())) {
            return Err("softphone.ws: not a ws:// or wss:// URL".into());
        }
        let domain = text("domain");
        let bad_domain = domain.contains(|c: char| c.is_whitespace() || c == '@' || c == '>');
        if bad_domain || (domain.is_empty() && !from_ccc) {
            return Err("softphone.domain: not a SIP domain".into());
        }
        let signature = match text("signature") {
            s if s.is_empty() || s == "password" => SignaturePlacement::Password,
            s => match s
                .strip_prefix("header:")
                .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            {
                Some(h) => SignaturePlacement::Header(h.to_string()),
                None => return Err("softphone.signature: \"password\" or \"header:<Name>\"".into()),
            },
        };
        let mut ice_servers = Vec::new();
        for server in v.member("iceServers").and_then(|x| x.items()).into_iter().flatten() {
            let urls = match server.member("urls") {
                Some(u) if u.text().is_some() => u.text().into_iter().collect(),
                Some(us) if us.items().is_some() => {
                    us.items().into_iter().flatten().filter_map(|u| u.text()).collect()
                }
                _ => return Err("softphone.iceServers: an entry without urls".into()),
            };
            let field = |k: &str| server.member(k).and_then(|x| x.text());
            ice_servers.push(IceServer {
                urls,
                username: field("username"),
                credential: field("credential"),
            });
        }
        Ok(Softphone {
            ws,
            domain,
            ice_servers,
            dtmf_info: text("dtmf") == "info",
            call_id_header: Some(text("callIdHeader")).filter(|h| !h.is_empty()),
            outbound_proxy: text("outboundProxy"),
            from_ccc,
            ws_path: Some(text("wsPath")).filter(|p| p.starts_with('/')).unwrap_or_else(|| "/".into()),
            signature,
        })
    }

    /// Whether a TURN relay is configured (the watchdog's advice depends on it).
    pub fn has_turn(&self) -> bool {
        self.ice_servers
            .iter()
            .flat_map(|s| &s.urls)
            .any(|u| u.starts_with("turn:") || u.starts_with("turns:"))
    }
}

/// How the toolbar looks inside a host page: what the host asked for in `hello`, within what
/// the deployment allows. CSS custom properties do not cross the iframe, so this is the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Theme {
    /// `#rrggbb`.
    pub accent: Option<String>,
    /// `comfortable` or `compact`.
    pub density: Option<&'static str>,
    /// `light` or `dark` (else the system's).
    pub mode: Option<&'static str>,
}

/// What a host asked for in `hello`, checked: unknown or malformed values are dropped, and so
/// is anything the deployment does not allow.
pub fn host_settings(payload: &serde_json::Value, d: &Deployment) -> (Option<Lang>, Theme) {
    let allowed = |k: &str| d.host_settings.iter().any(|a| a == k);
    let text =
        |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::trim).map(String::from);
    let lang = text(payload, "lang").filter(|_| allowed("lang")).and_then(|l| match l.as_str() {
        "zh-CN" | "zh" => Some(Lang::Zh),
        "en" => Some(Lang::En),
        _ => None,
    });
    let t = payload.get("theme").cloned().unwrap_or_default();
    let hex =
        |c: &String| c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit());
    let theme = Theme {
        accent: text(&t, "accent").filter(|_| allowed("accent")).filter(hex).map(|c| c.to_ascii_lowercase()),
        density: text(&t, "density").filter(|_| allowed("density")).and_then(|v| match v.as_str() {
            "compact" => Some("compact"),
            "comfortable" => Some("comfortable"),
            _ => None,
        }),
        mode: text(&t, "mode").filter(|_| allowed("mode")).and_then(|v| match v.as_str() {
            "light" => Some("light"),
            "dark" => Some("dark"),
            _ => None,
        }),
    };
    (lang, theme)
}

impl Default for Deployment {
    /// Nothing allowed but the page's own origin: what a missing or broken file means.
    fn default() -> Self {
        Deployment {
            embed_origins: Vec::new(),
            gateways: vec![String::new()],
            host_settings: ["lang", "accent", "density", "mode"].map(String::from).to_vec(),
            vendor: Vendor::Huawei,
            relay: None,
            softphone: None,
        }
    }
}

impl Deployment {
    /// Reads `agentbar.json`. Unknown keys are ignored; a key of the wrong type is an error.
    pub fn parse(text: &str) -> Result<Deployment, String> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Deployment::read(&v)
    }

    /// `parse`, from a document already parsed (in the browser, by `JSON.parse`).
    pub fn read<J: JsonDoc>(v: &J) -> Result<Deployment, String> {
        let list = |key: &str| -> Result<Option<Vec<String>>, String> {
            match v.member(key) {
                None => Ok(None),
                Some(items) => items
                    .items()
                    .ok_or(format!("{key}: not a list"))?
                    .iter()
                    .map(|i| {
                        i.text()
                            .map(|s| s.trim_end_matches('/').to_string())
                            .ok_or(format!("{key}: not a string"))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
            }
        };
        let mut d = Deployment::default();
        if let Some(origins) = list("embedOrigins")? {
            d.embed_origins = origins;
        }
        if let Some(gateways) = list("gateways")?.filter(|g| !g.is_empty()) {
            d.gateways = gateways;
        }
        if let Some(settings) = list("hostSettings")? {
            d.host_settings = settings;
        }
        match v.member("relay") {
            None => {}
            Some(x) if x.null() => {}
            Some(x) => match x.text() {
                Some(url) => d.relay = Some(url.trim_end_matches('/').to_string()),
                None => return Err("relay: not a string".into()),
            },
        }
        match v.member("softphone") {
            None => {}
            Some(x) if x.null() => {}
            Some(phone) => d.softphone = Some(Softphone::read(&phone)?),
        }
        if let Some(name) = v.member("vendor") {
            d.vendor =
                name.text().as_deref().and_then(Vendor::parse).ok_or("vendor: not huawei or aliyun")?;
        }
        Ok(d)
    }

    /// The gateway a link asks for, if the deployment lists it; else the default, and the
    /// refused value so the agent can be told.
    pub fn gateway(&self, requested: Option<&str>) -> (String, Option<String>) {
        let default = self.gateways.first().cloned().unwrap_or_default();
        match requested.map(|r| r.trim_end_matches('/')) {
            None => (default, None),
            Some(r) if self.gateways.iter().any(|g| g == r) => (r.to_string(), None),
            Some(r) => (default, Some(r.to_string())),
        }
    }
}

/// The toolbar's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The gateway's origin; empty means this page's origin (a reverse proxy forwards
    /// `/agentgateway/` to the CC-Gateway, so `Set-GUID` is readable and no CORS is needed).
    /// Only a gateway the deployment lists (`Deployment::gateway`).
    pub gateway: String,
    /// A `gateway` the link asked for that the deployment does not list (refused).
    pub refused_gateway: Option<String>,
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
            refused_gateway: None,
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
    pub fn from_params<'a>(
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
        deployment: &Deployment,
    ) -> Config {
        let mut c = Config { vendor: deployment.vendor, ..Config::default() };
        let mut requested_gateway = None;
        for (key, value) in params {
            match key {
                "gateway" => requested_gateway = Some(value),
                "agent" => c.agent_id = value.to_string(),
                "phone" => c.phone = value.to_string(),
                "lang" => c.lang = Some(Lang::from_tag(value)),
                "vendor" => c.vendor = Vendor::parse(value).unwrap_or(Vendor::Huawei),
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
        (c.gateway, c.refused_gateway) = deployment.gateway(requested_gateway);
        c.vendor = c.vendor.compiled();
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_override_defaults_and_bad_values_are_ignored() {
        let deployment =
            Deployment { gateways: vec!["".into(), "https://gw.example:8043".into()], ..Default::default() };
        let c = Config::from_params(
            [
                ("agent", "101"),
                ("busyReasons", "200:Lunch;999:Bad;x:y;201: Coaching "),
                ("lang", "zh-CN"),
                ("gateway", "https://gw.example:8043/"),
                ("other", "1"),
            ],
            &deployment,
        );
        assert_eq!(c.gateway, "https://gw.example:8043");
        assert_eq!(c.agent_id, "101");
        assert_eq!(c.busy_reasons, vec![(200, "Lunch".into()), (201, "Coaching".into())]);
        assert_eq!(c.lang, Some(Lang::Zh));
        let none = Deployment::default();
        assert_eq!(
            Config::from_params([("busyReasons", "")], &none).busy_reasons,
            Config::default().busy_reasons
        );
        let c = Config::from_params(
            [("vendor", "aliyun"), ("skillGroups", "sg1@ccc, sg2@ccc"), ("pollMs", "10")],
            &none,
        );
        assert_eq!((c.vendor, c.skill_groups.len(), c.poll_ms), (Vendor::Aliyun, 2, 250));
    }

    #[test]
    fn hello_settings_are_checked_and_bounded_by_the_deployment() {
        let all = Deployment::default();
        let hello = serde_json::json!({"nonce": "n", "lang": "zh-CN",
            "theme": {"accent": "#0A7F5A", "density": "compact", "mode": "dark"}});
        let (lang, theme) = host_settings(&hello, &all);
        assert_eq!(lang, Some(Lang::Zh));
        assert_eq!(
            theme,
            Theme { accent: Some("#0a7f5a".into()), density: Some("compact"), mode: Some("dark") }
        );
        let hostile = serde_json::json!({"lang": "fr", "theme": {"accent": "red;background:url(x)", "density": 3, "mode": "neon"}});
        assert_eq!(host_settings(&hostile, &all), (None, Theme::default()));
        let only_lang = Deployment::parse(r#"{"hostSettings": ["lang"]}"#).unwrap();
        let (lang, theme) = host_settings(&hello, &only_lang);
        assert_eq!((lang, theme), (Some(Lang::Zh), Theme::default()));
    }

    #[test]
    fn a_link_picks_a_gateway_only_among_the_deployments() {
        let d = Deployment::parse(
            r#"{"embedOrigins": ["https://crm.example"], "gateways": ["", "https://gw2.example/"]}"#,
        )
        .unwrap();
        assert_eq!(d.embed_origins, ["https://crm.example"]);
        let gw = |p: &str| {
            let c = Config::from_params([("gateway", p)], &d);
            (c.gateway, c.refused_gateway)
        };
        assert_eq!(gw("https://gw2.example"), ("https://gw2.example".into(), None));
        assert_eq!(gw("https://evil.example"), (String::new(), Some("https://evil.example".into())));
        assert_eq!(
            gw("https://gw2.example.evil.example"),
            (String::new(), Some("https://gw2.example.evil.example".into()))
        );
        assert_eq!(Config::from_params([], &d).gateway, "");
        // A missing or broken file allows only the page's own origin.
        assert!(Deployment::parse("{").is_err());
        assert_eq!(Deployment::default().gateway(Some("https://x")).0, "");
        assert!(Deployment::parse(r#"{"gateways": "https://x"}"#).is_err());
    }

    #[test]
    fn the_deployment_names_the_vendor_and_a_link_may_name_the_other() {
        let ccc = Deployment::parse(r#"{"vendor": "aliyun"}"#).unwrap();
        assert_eq!(Config::from_params([], &ccc).vendor, Vendor::Aliyun);
        assert_eq!(Config::from_params([("vendor", "huawei")], &ccc).vendor, Vendor::Huawei);
        assert_eq!(Config::from_params([], &Deployment::default()).vendor, Vendor::Huawei);
        assert_eq!(Config::from_params([("vendor", "ccc")], &Deployment::default()).vendor, Vendor::Aliyun);
        assert!(Deployment::parse(r#"{"vendor": "avaya"}"#).is_err());
        assert!(Deployment::parse(r#"{"vendor": 1}"#).is_err());
        let relayed = Deployment::parse(r#"{"relay": "https://relay.example/"}"#).unwrap();
        assert_eq!(relayed.relay.as_deref(), Some("https://relay.example"));
        assert_eq!(Deployment::default().relay, None);
        assert!(Deployment::parse(r#"{"relay": 1}"#).is_err());
        let phone = Deployment::parse(
            r#"{"softphone": {"ws": "wss://sbc.example/ws", "domain": "pbx.example", "dtmf": "info",
                "iceServers": [{"urls": "stun:stun.example"}, {"urls": ["turn:t.example"], "username": "u", "credential": "c"}]}}"#,
        )
        .unwrap()
        .softphone
        .unwrap();
        assert_eq!(
            (phone.ws.as_str(), phone.domain.as_str(), phone.dtmf_info),
            ("wss://sbc.example/ws", "pbx.example", true)
        );
        assert!(phone.has_turn());
        assert_eq!(phone.ice_servers[1].username.as_deref(), Some("u"));
        assert!(Deployment::parse(r#"{"softphone": {"ws": "http://x", "domain": "d"}}"#).is_err());
        assert!(Deployment::parse(r#"{"softphone": {"ws": "wss://x", "domain": "a@b"}}"#).is_err());
        let ccc =
            Deployment::parse(r#"{"softphone": {"from": "ccc", "signature": "header:X-Sig"}}"#).unwrap();
        let ccc = ccc.softphone.unwrap();
        assert!(ccc.from_ccc && ccc.ws.is_empty() && ccc.ws_path == "/");
        assert_eq!(ccc.signature, SignaturePlacement::Header("X-Sig".into()));
        assert!(Deployment::parse(r#"{"softphone": {"from": "ccc", "signature": "header:X Y"}}"#).is_err());
        assert!(
            Deployment::parse(r#"{"softphone": {"domain": "d"}}"#).is_err(),
            "a generic server needs its ws"
        );
    }
}
