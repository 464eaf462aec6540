//! The user agent: registration and INVITE dialogs as one pure state machine.
//!
//! [`UserAgent::handle`] takes one [`Input`] (a received frame, the socket opening or closing,
//! a timer firing, an app [`Command`]) and the current time, and returns what to do: frames to
//! send, timers to set or cancel, [`Event`]s for the app. It never reads a clock, draws no
//! randomness of its own (a seeded [`Rng`]) and does no I/O, so a whole call is a host test.
//!
//! # What is covered
//!
//! - **Transactions** (RFC 3261 §17, for a reliable transport, RFC 7118): responses matched by
//!   top-Via branch and CSeq method; no retransmissions (WebSocket is reliable), but the
//!   failure timers are kept at 64·T1 = 32 s: Timer B (INVITE without any response), Timer F
//!   (non-INVITE without a final response), Timer H (a final response to an INVITE without its
//!   ACK), and the wait for a final response after CANCEL (§9.1). Retransmitted 2xx are ACKed
//!   again; a 2xx from a second fork is ACKed and sent a BYE (§13.2.2.4).
//! - **Registration** (§10, RFC 5626 outbound as JsSIP and SIP.js use it with Kamailio):
//!   a random `.invalid` Contact with `;transport=ws`, `+sip.instance` and `reg-id=1`,
//!   digest challenges answered (see below), 423 Min-Expires honoured, refresh before expiry,
//!   unregister with `Expires: 0`, and registration again whenever the socket reopens.
//! - **Authentication** (§22): 401/407 answered for REGISTER, INVITE, re-INVITE, BYE and INFO.
//!   A request is re-sent with credentials once; again only when the server says the nonce
//!   was `stale` (at most three rounds). A server that re-challenges with a fresh nonce after
//!   correct-looking credentials (Kamailio mints a new nonce per 401) thus fails the request
//!   instead of looping. REGISTER refreshes reuse the last challenge with `nc` incremented.
//! - **Calls** (§12–§15): outgoing INVITE with 1xx/2xx/3xx–6xx handling, early and confirmed
//!   dialogs (route set from Record-Route, remote target from Contact, CSeq rules of §12.2),
//!   ACK for 2xx (new transaction, same credentials) and for failures (same transaction),
//!   CANCEL (deferred until a provisional response, §9.1); incoming INVITE answered with 100
//!   and 180 at once, then 200 with the app's SDP or a rejection; late offer (an INVITE without
//!   SDP: the app's SDP is an offer, the answer comes with the ACK); incoming CANCEL (200 +
//!   487) and BYE on an early dialog (200 + 487); BYE both ways; re-INVITE both ways for hold,
//!   resume or a renegotiation (ICE restart) with the SDP the app supplies, 491 glare retried
//!   after the §14.1 random delay, an unchanged re-offer (session refresh) answered with the
//!   current SDP without involving the app; INFO `application/dtmf-relay` both ways;
//!   OPTIONS answered 200 (Kamailio's keep-alive pings). A 408/481 to an in-dialog request,
//!   or one timing out, ends the call (§12.2.1.2). When the socket closes, calls not yet
//!   established end; established ones keep their dialog (media does not use the socket).
//!
//! # What is left out
//!
//! Retransmissions (Timers A, E, G and the 2xx retransmission of §13.3.1.4: the transport is
//! reliable end to end as far as this UA can see), strict routing (a route without `;lr` is
//! used as if it had it; every current proxy loose-routes), PRACK/100rel (RFC 3262; a
//! `Require` of it is answered 420), UPDATE with SDP (answered 488; without SDP 200),
//! REFER/transfers, SUBSCRIBE/NOTIFY and MESSAGE (501, or 481 inside an unknown dialog),
//! session timers (RFC 4028; refreshes arrive as ordinary re-INVITEs and are answered),
//! several early dialogs with different SDP (forked early media: the first SDP wins), GRUU,
//! Service-Route, the SDP answer in the ACK of an offerless re-INVITE (ignored), and retrying
//! a failed registration (the app decides; the socket reopening registers again).

mod call;
mod register;

use crate::hdr::{self, Challenge};
use crate::msg::{self, Message, Method, StartLine};
use crate::rng::Rng;

/// RFC 3261 T1.
pub const T1_MS: u64 = 500;
/// Timers B, F and H, and the wait after CANCEL: 64·T1.
pub const TRANSACTION_TIMEOUT_MS: u64 = 64 * T1_MS;

/// What this UA answers; sent in Allow.
const ALLOW: &str = "INVITE,ACK,CANCEL,BYE,OPTIONS,INFO,UPDATE";

/// A call, numbered by this UA (not the SIP Call-ID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u32);

/// A timer; every [`Output::SetTimer`] has a fresh one, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerId(pub u32);

/// Account and identity. [`Config::new`] fills the usual defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Address of record, e.g. `sip:1001@pbx.example.com`.
    pub aor: String,
    pub display_name: Option<String>,
    /// Digest user name; the AOR's user part when empty.
    pub auth_user: String,
    pub password: String,
    /// Request-URI of REGISTER; `sip:<AOR host>` when empty.
    pub registrar: String,
    /// Requested registration lifetime in seconds.
    pub expires: u32,
    /// `urn:uuid:…` kept across reloads so the registrar replaces this device's binding
    /// (RFC 5626 §4.1); random per `UserAgent` when empty.
    pub instance_id: String,
    /// A pre-loaded Route for out-of-dialog requests, e.g. `<sip:edge.example.com;lr>`;
    /// none when empty (the WebSocket server is the next hop).
    pub outbound_proxy: String,
    /// `WSS` in Via when true, `WS` otherwise.
    pub secure: bool,
    /// Sent as User-Agent when not empty.
    pub user_agent: String,
    /// Extra headers on every REGISTER (name, value): what a platform wants beside digest
    /// credentials, e.g. a signed token (control characters are dropped).
    pub register_headers: Vec<(String, String)>,
}

impl Config {
    pub fn new(aor: &str, password: &str) -> Config {
        Config {
            aor: aor.into(),
            display_name: None,
            auth_user: String::new(),
            password: password.into(),
            registrar: String::new(),
            expires: 600,
            instance_id: String::new(),
            outbound_proxy: String::new(),
            secure: true,
            user_agent: String::new(),
            register_headers: Vec::new(),
        }
    }
}

/// Something that happened to the UA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input<'a> {
    /// A WebSocket text frame: one SIP message (or keep-alive whitespace).
    Frame(&'a str),
    /// The socket opened (first time or again).
    Connected,
    /// The socket closed.
    Disconnected,
    /// A timer set by [`Output::SetTimer`] fired.
    Timer(TimerId),
    Command(Command),
}

/// What the app asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Register now (or as soon as the socket is open) and keep the registration up.
    Register,
    /// Remove the binding (`Expires: 0`) and stop refreshing.
    Unregister,
    /// Call `target` (a number, `user@host`, or a `sip:` URI) with the browser's SDP offer.
    /// [`Event::Dialing`] names the new call. `headers` (name, value) are added to the INVITE.
    Call { target: String, sdp_offer: String, headers: Vec<(String, String)> },
    /// Accept an incoming call, or a re-offer ([`Event::RemoteHold`], [`Event::RemoteResume`],
    /// [`Event::RemoteOffer`]), with the browser's SDP answer.
    Answer { call: CallId, sdp_answer: String },
    /// Refuse an incoming call (or a re-offer) with a 3xx–6xx `code`, e.g. 486 or 603.
    Reject { call: CallId, code: u16 },
    /// End the call whatever its state: CANCEL, reject (486) or BYE.
    Hangup { call: CallId },
    /// Re-INVITE with the app's hold offer (`a=sendonly`, see [`crate::sdp::set_direction`]).
    Hold { call: CallId, sdp: String },
    /// Re-INVITE with the app's resume offer (`a=sendrecv`).
    Resume { call: CallId, sdp: String },
    /// Re-INVITE with another offer (e.g. after an ICE restart).
    Renegotiate { call: CallId, sdp: String },
    /// INFO `application/dtmf-relay` (`0-9 * # A-D`), for servers that want SIP INFO DTMF.
    SendInfoDtmf { call: CallId, digit: char, duration_ms: u32 },
}

/// What the UA asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send one WebSocket text frame.
    Send(String),
    /// Feed [`Input::Timer`]`(id)` back at `at_ms` (same clock as `now_ms`).
    SetTimer {
        id: TimerId,
        at_ms: u64,
    },
    /// The timer is no longer needed (firing it anyway is harmless).
    CancelTimer(TimerId),
    Event(Event),
}

/// Who or what ended a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedBy {
    Local,
    Remote,
    /// A transaction timed out (no response, or no ACK).
    Timeout,
    /// The socket closed before the call was established.
    Transport,
}

/// Which re-INVITE of ours an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reoffer {
    Hold,
    Resume,
    Renegotiate,
}

/// A party as a From/To header names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub display: Option<String>,
    pub uri: String,
}

/// Where a live call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// Outgoing, no provisional response yet.
    Dialing,
    /// Outgoing, a provisional response came.
    Early,
    /// Incoming, not answered yet.
    Incoming,
    Established,
}

/// What the app is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The binding is up for `expires` seconds (refreshed before it lapses).
    Registered { expires: u32 },
    /// The binding was removed as asked.
    Unregistered,
    /// Registering failed with this final response; 408 for a timeout, 503 when the socket
    /// closed (RFC 3261 §8.1.3.1).
    RegistrationFailed { code: u16, reason: String },
    /// A `Command::Call` created `call`.
    Dialing { call: CallId, sip_call_id: String },
    /// An incoming call, ringing (180 sent). `sdp_offer` is empty when the INVITE carried no
    /// offer: then the SDP given to `Answer` is an offer, and the answer comes in
    /// [`Event::Confirmed`]. `headers` are those the app may match a contact-centre call by:
    /// every `X-` header and Call-Info, Alert-Info, P-Asserted-Identity, Remote-Party-ID,
    /// Diversion, History-Info, Subject, User-to-User.
    IncomingCall {
        call: CallId,
        sip_call_id: String,
        from: Party,
        to: Party,
        sdp_offer: String,
        headers: Vec<(String, String)>,
    },
    /// 180 for an outgoing call; `sdp` when it carries early media.
    Ringing { call: CallId, sdp: Option<String> },
    /// Another provisional response (181–199, e.g. 183 Session Progress).
    Progress { call: CallId, code: u16, sdp: Option<String> },
    /// The outgoing call was answered; `sdp` is the answer (the one from a provisional
    /// response when the 2xx repeats none).
    Answered { call: CallId, sdp: String },
    /// The ACK for our 2xx arrived; `sdp` is the answer to a late-offer call.
    Confirmed { call: CallId, sdp: Option<String> },
    /// The peer re-offered with sendonly/inactive: it holds us. Reply with `Answer`.
    RemoteHold { call: CallId, sdp: String },
    /// The peer re-offered with media flowing again after a hold. Reply with `Answer`.
    RemoteResume { call: CallId, sdp: String },
    /// Any other changed re-offer (codec change, ICE restart). Reply with `Answer`.
    RemoteOffer { call: CallId, sdp: String },
    /// Our re-INVITE was accepted; `sdp` is the peer's answer.
    ReofferAccepted { call: CallId, reoffer: Reoffer, sdp: String },
    /// Our re-INVITE failed; the session is as it was before it (roll the offer back).
    ReofferFailed { call: CallId, reoffer: Reoffer, code: u16, reason: String },
    /// The peer sent a DTMF digit by INFO.
    Dtmf { call: CallId, digit: char },
    /// The call is over; the UA finishes its SIP side on its own. `code` is the status that
    /// ended an unestablished call (e.g. 486, 487, 408); `reason` its phrase, the text of a
    /// Reason header (RFC 3326, e.g. "Call completed elsewhere") when the peer sent one, or
    /// the method (`BYE`, `CANCEL`) that ended it.
    Ended { call: CallId, by: EndedBy, code: Option<u16>, reason: String },
}

/// Who we are on the wire; fixed for the UA's life.
#[derive(Debug)]
struct Local {
    cfg: Config,
    /// `SIP/2.0/WSS <random>.invalid` (RFC 7118 §5.2: the host is not resolvable anyway).
    via: String,
    /// `sip:<random>@<random>.invalid;transport=ws`.
    contact_uri: String,
    /// `"Display" <aor>`, the From of our out-of-dialog requests, without tag.
    from: String,
    auth_user: String,
    registrar: String,
    /// The AOR's host, for targets given as bare numbers.
    domain: String,
    instance: String,
    /// The configured outbound proxy as a Route set (empty: none).
    proxy_routes: Vec<String>,
}

/// The outputs of one `handle`, plus what every transaction needs: time, ids, randomness.
#[derive(Debug)]
struct Io {
    out: Vec<Output>,
    now: u64,
    connected: bool,
    next_id: u32,
    rng: Rng,
}

impl Io {
    /// Frames are dropped while the socket is closed; the transaction timers notice.
    fn send(&mut self, frame: String) {
        if self.connected {
            self.out.push(Output::Send(frame));
        }
    }

    fn event(&mut self, e: Event) {
        self.out.push(Output::Event(e));
    }

    fn id(&mut self) -> u32 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    fn timer(&mut self, delay_ms: u64) -> Option<TimerId> {
        let id = TimerId(self.id());
        self.out.push(Output::SetTimer { id, at_ms: self.now.saturating_add(delay_ms) });
        Some(id)
    }

    fn cancel(&mut self, timer: &mut Option<TimerId>) {
        if let Some(id) = timer.take() {
            self.out.push(Output::CancelTimer(id));
        }
    }

    /// RFC 3261 §8.1.1.7: the magic cookie, then enough randomness to be unique.
    fn branch(&mut self) -> String {
        let mut b = String::from("z9hG4bK");
        b.push_str(&self.rng.token(12));
        b
    }
}

/// A challenge kept to answer it (and, for REGISTER, to reuse it on refreshes).
#[derive(Debug, Clone)]
struct Auth {
    /// Proxy-Authorization (after a 407) rather than Authorization.
    proxy: bool,
    realm: String,
    nonce: String,
    opaque: Option<String>,
    algorithm: Option<String>,
    qop: Option<String>,
    nc: u32,
}

impl Auth {
    /// The challenge of a 401/407 if this request may answer it: it went out without
    /// credentials of its own (`round == 0`: none, or reused ones), or the server calls the
    /// nonce stale, for at most three rounds.
    fn accept(resp: &Message<'_>, round: u8) -> Option<Auth> {
        let ch: Challenge<'_> = resp.challenge()?;
        if round > 0 && !(ch.stale && round < 3) {
            return None;
        }
        let own = |s: Option<&str>| s.map(String::from);
        Some(Auth {
            proxy: resp.status() == Some(407),
            realm: ch.realm.into(),
            nonce: ch.nonce.into(),
            opaque: own(ch.opaque),
            algorithm: own(ch.algorithm),
            qop: own(ch.qop),
            nc: 0,
        })
    }

    /// The whole credentials header line for one request.
    fn line(&mut self, me: &Local, rng: &mut Rng, method: Method, uri: &str, body: &str) -> String {
        self.nc += 1;
        let ch = Challenge {
            realm: &self.realm,
            nonce: &self.nonce,
            opaque: self.opaque.as_deref(),
            algorithm: self.algorithm.as_deref(),
            qop: self.qop.as_deref(),
            stale: false,
        };
        let cnonce = rng.token(16);
        let req = crate::digest::DigestRequest {
            username: &me.auth_user,
            password: &me.cfg.password,
            method: method.as_str(),
            uri,
            body,
            cnonce: &cnonce,
            nc: self.nc,
        };
        let mut s = String::new();
        // `Message::challenge` only returns challenges `authorization` can answer.
        if let Some(value) = crate::digest::authorization(&ch, &req) {
            msg::header(&mut s, if self.proxy { "Proxy-Authorization" } else { "Authorization" }, &value);
        }
        s
    }
}

/// The parts of an outgoing request that vary.
struct Req<'a> {
    method: Method,
    uri: &'a str,
    branch: &'a str,
    from: &'a str,
    to: &'a str,
    call_id: &'a str,
    cseq: u32,
    routes: &'a [String],
    /// Further header lines, each ending in CRLF.
    extra: &'a str,
    content_type: &'a str,
    body: &'a str,
}

impl Local {
    fn new(cfg: Config, rng: &mut Rng) -> Local {
        let host = {
            let mut h = rng.token(12);
            h.push_str(".invalid");
            h
        };
        let mut via = String::from(if cfg.secure { "SIP/2.0/WSS " } else { "SIP/2.0/WS " });
        via.push_str(&host);
        let mut contact_uri = String::from("sip:");
        contact_uri.push_str(&rng.token(8));
        contact_uri.push('@');
        contact_uri.push_str(&host);
        contact_uri.push_str(";transport=ws");
        let mut from = String::new();
        if let Some(d) = cfg.display_name.as_deref().filter(|d| !d.is_empty()) {
            from.push('"');
            from.push_str(&header_safe(d).replace(['"', '\\'], ""));
            from.push_str("\" ");
        }
        from.push('<');
        from.push_str(&cfg.aor);
        from.push('>');
        let domain = hdr::uri_host(&cfg.aor).to_string();
        let auth_user = match cfg.auth_user.as_str() {
            "" => hdr::uri_user(&cfg.aor).unwrap_or_default().to_string(),
            u => u.to_string(),
        };
        let registrar = match cfg.registrar.as_str() {
            "" => {
                let mut r = String::from("sip:");
                r.push_str(&domain);
                r
            }
            r => r.to_string(),
        };
        let instance = match cfg.instance_id.as_str() {
            "" => {
                let mut i = String::from("urn:uuid:");
                i.push_str(&rng.uuid());
                i
            }
            i => i.to_string(),
        };
        let proxy_routes = hdr::list(&cfg.outbound_proxy).map(String::from).collect();
        Local { cfg, via, contact_uri, from, auth_user, registrar, domain, instance, proxy_routes }
    }

    fn render(&self, r: &Req<'_>) -> String {
        let mut s = String::with_capacity(400 + r.body.len());
        msg::request_line(&mut s, r.method.as_str(), r.uri);
        s.push_str("Via: ");
        s.push_str(&self.via);
        s.push_str(";branch=");
        s.push_str(r.branch);
        s.push_str("\r\nMax-Forwards: 70\r\n");
        msg::header(&mut s, "To", r.to);
        msg::header(&mut s, "From", r.from);
        msg::header(&mut s, "Call-ID", r.call_id);
        s.push_str("CSeq: ");
        msg::push_num(&mut s, r.cseq.into());
        s.push(' ');
        s.push_str(r.method.as_str());
        s.push_str("\r\n");
        if !r.routes.is_empty() {
            msg::header(&mut s, "Route", &r.routes.join(", "));
        }
        s.push_str(r.extra);
        self.user_agent(&mut s);
        msg::finish(&mut s, r.content_type, r.body);
        s
    }

    fn user_agent(&self, s: &mut String) {
        if !self.cfg.user_agent.is_empty() {
            msg::header(s, "User-Agent", &header_safe(&self.cfg.user_agent));
        }
    }

    /// Contact, Allow and Supported, for INVITEs and 2xx answers to them. `;ob` asks edge
    /// proxies to keep the dialog on this flow (RFC 5626 §5.4).
    fn dialog_headers(&self, s: &mut String) {
        s.push_str("Contact: <");
        s.push_str(&self.contact_uri);
        s.push_str(";ob>\r\nAllow: ");
        s.push_str(ALLOW);
        s.push_str("\r\nSupported: outbound\r\n");
    }

    /// A request URI for what the agent typed: a `sip:`/`sips:` URI as is (if it is one that
    /// fits a header: printable ASCII without `<>"`), `user@host`, or a bare number at the AOR's
    /// domain. Spaces in a typed number are dropped and characters not allowed in a URI user
    /// part are %-escaped (RFC 3261 §19.1.2). `None` when nothing usable is left.
    fn target_uri(&self, target: &str) -> Option<String> {
        let t = target.trim();
        let t = t.strip_prefix('<').and_then(|t| t.strip_suffix('>')).unwrap_or(t);
        if t.starts_with("sip:") || t.starts_with("sips:") {
            let ok = t.bytes().all(|b| b.is_ascii_graphic() && !b"<>\"".contains(&b))
                && !hdr::uri_host(t).is_empty();
            return ok.then(|| t.to_string());
        }
        let (user, host) = t.rsplit_once('@').unwrap_or((t, &self.domain));
        let host_ok =
            !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
        let mut u = String::from("sip:");
        for b in user.bytes().filter(|b| !b.is_ascii_whitespace()) {
            if b.is_ascii_alphanumeric() || b"-_.!~*'()&=+$/".contains(&b) {
                u.push(b as char);
            } else {
                u.push('%');
                msg::push_hex(&mut u, &[b]);
            }
        }
        if u.len() == 4 || !host_ok {
            return None;
        }
        u.push('@');
        u.push_str(host);
        Some(u)
    }
}

/// Text from the app that goes into a header: no control characters (a CR or LF would end
/// the header and let the text inject others).
pub(super) fn header_safe(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// Start line and the headers every response copies from its request (§8.2.6.2): all Vias,
/// From, To (with `to_tag` added when it has none), Call-ID, CSeq.
fn response_head(req: &Message<'_>, to_tag: &str) -> String {
    let mut s = String::with_capacity(300);
    for h in &req.headers {
        let n = h.name;
        if n.eq_ignore_ascii_case("Via")
            || n.eq_ignore_ascii_case("From")
            || n.eq_ignore_ascii_case("Call-ID")
            || n.eq_ignore_ascii_case("CSeq")
        {
            msg::header(&mut s, n, h.value);
        } else if n.eq_ignore_ascii_case("To") {
            s.push_str("To: ");
            s.push_str(h.value);
            if req.to.tag().is_none() && !to_tag.is_empty() {
                s.push_str(";tag=");
                s.push_str(to_tag);
            }
            s.push_str("\r\n");
        }
    }
    s
}

fn status_line(code: u16) -> String {
    let mut s = String::with_capacity(512);
    s.push_str("SIP/2.0 ");
    msg::push_num(&mut s, code.into());
    s.push(' ');
    s.push_str(msg::reason_phrase(code));
    s.push_str("\r\n");
    s
}

/// A whole response: status line, the copied head, `extra` lines, body.
fn response(code: u16, head: &str, extra: &str, content_type: &str, body: &str) -> String {
    let mut s = status_line(code);
    s.push_str(head);
    s.push_str(extra);
    msg::finish(&mut s, content_type, body);
    s
}

/// The text of a Reason header (RFC 3326) if there is one, else `fallback`.
fn reason_text(m: &Message<'_>, fallback: &str) -> String {
    m.header("Reason")
        .and_then(|r| hdr::list(r).next())
        .and_then(|r| hdr::param(r, "text"))
        .filter(|t| !t.is_empty())
        .unwrap_or(fallback)
        .to_string()
}

/// The user agent. See the module documentation.
#[derive(Debug)]
pub struct UserAgent {
    me: Local,
    io: Io,
    reg: register::Registration,
    calls: Vec<call::Call>,
}

impl UserAgent {
    /// A UA for `config`, drawing every tag, branch, Call-ID and cnonce from `seed` (seed it
    /// from `crypto.getRandomValues` in the browser).
    pub fn new(config: Config, seed: u64) -> UserAgent {
        let mut rng = Rng::new(seed);
        let me = Local::new(config, &mut rng);
        let reg = register::Registration::new(&me, &mut rng);
        UserAgent {
            me,
            io: Io { out: Vec::new(), now: 0, connected: false, next_id: 0, rng },
            reg,
            calls: Vec::new(),
        }
    }

    /// Steps the state machine. `now_ms` is any monotonic millisecond clock.
    pub fn handle(&mut self, input: Input<'_>, now_ms: u64) -> Vec<Output> {
        self.io.now = now_ms;
        match input {
            Input::Frame(f) => self.on_frame(f),
            Input::Connected => {
                self.io.connected = true;
                self.reg.on_connected(&self.me, &mut self.io);
            }
            Input::Disconnected => {
                self.reg.on_disconnected(&mut self.io);
                for c in &mut self.calls {
                    c.on_disconnected(&mut self.io);
                }
                self.io.connected = false;
            }
            Input::Timer(id) => {
                if !self.reg.on_timer(id, &self.me, &mut self.io) {
                    for c in &mut self.calls {
                        if c.on_timer(id, &self.me, &mut self.io) {
                            break;
                        }
                    }
                }
            }
            Input::Command(c) => self.on_command(c),
        }
        self.calls.retain(|c| !c.finished());
        core::mem::take(&mut self.io.out)
    }

    /// Whether the binding is up.
    pub fn is_registered(&self) -> bool {
        self.reg.registered
    }

    /// Where `call` is; `None` once it has ended (or never existed).
    pub fn call_state(&self, call: CallId) -> Option<CallState> {
        self.calls.iter().find(|c| c.id == call && !c.ended).map(|c| c.state)
    }

    /// The SIP Call-ID of `call`, for logs and for matching with the contact centre.
    pub fn sip_call_id(&self, call: CallId) -> Option<&str> {
        self.calls.iter().find(|c| c.id == call).map(|c| c.d.call_id.as_str())
    }

    /// The calls that have not ended.
    pub fn calls(&self) -> Vec<CallId> {
        self.calls.iter().filter(|c| !c.ended).map(|c| c.id).collect()
    }

    fn on_command(&mut self, cmd: Command) {
        fn find(calls: &mut [call::Call], id: CallId) -> Option<&mut call::Call> {
            calls.iter_mut().find(|c| c.id == id && !c.ended)
        }
        let (me, io) = (&self.me, &mut self.io);
        match cmd {
            Command::Register => self.reg.register(me, io),
            Command::Unregister => self.reg.unregister(me, io),
            Command::Call { target, sdp_offer, headers } => {
                let c = call::Call::dial(me, io, &target, sdp_offer, &headers);
                self.calls.push(c);
            }
            Command::Answer { call, sdp_answer } => {
                if let Some(c) = find(&mut self.calls, call) {
                    c.answer(me, io, sdp_answer);
                }
            }
            Command::Reject { call, code } => {
                if let Some(c) = find(&mut self.calls, call) {
                    c.reject(io, code);
                }
            }
            Command::Hangup { call } => {
                if let Some(c) = find(&mut self.calls, call) {
                    c.hangup(me, io);
                }
            }
            Command::Hold { call, sdp } => {
                if let Some(c) = find(&mut self.calls, call) {
                    c.reoffer(me, io, Reoffer::Hold, sdp);
                }
            }
            Command::Resume { call, sdp } => {
                if let Some(c) = find(&mut self.calls, call) {
                    c.reoffer(me, io, Reoffer::Resume, sdp);
                }
            }
            Command::Renegotiate { call, sdp } => {
                if let Some(c) = find(&mut self.calls, call) {
                    c.reoffer(me, io, Reoffer::Renegotiate, sdp);
                }
            }
            Command::SendInfoDtmf { call, digit, duration_ms } => {
                if let Some(c) = find(&mut self.calls, call) {
                    c.send_dtmf(me, io, digit, duration_ms);
                }
            }
        }
    }

    fn on_frame(&mut self, frame: &str) {
        // Hostile or broken frames are dropped: without a parseable Via/CSeq there is
        // nothing a response could be routed or matched by.
        let Ok(m) = Message::parse(frame) else { return };
        match m.start {
            StartLine::Response { .. } => {
                if !self.reg.on_response(&m, &self.me, &mut self.io) {
                    for c in &mut self.calls {
                        if c.on_response(&m, &self.me, &mut self.io) {
                            break;
                        }
                    }
                }
            }
            StartLine::Request { .. } => self.on_request(&m),
        }
    }

    fn on_request(&mut self, m: &Message<'_>) {
        let method = m.method().unwrap_or(Method::Other);
        if !matches!(method, Method::Ack | Method::Cancel) {
            if let Some(unsupported) = unsupported_requirements(m) {
                let mut extra = String::new();
                msg::header(&mut extra, "Unsupported", &unsupported);
                let tag = self.io.rng.token(10);
                self.io.send(response(420, &response_head(m, &tag), &extra, "", ""));
                return;
            }
        }
        for c in &mut self.calls {
            if c.on_request(m, method, &self.me, &mut self.io) {
                return;
            }
        }
        match method {
            Method::Invite if m.to.tag().is_none() => {
                if let Some(c) = call::Call::incoming(m, &self.me, &mut self.io) {
                    self.calls.push(c);
                }
            }
            // An ACK nobody waits for (e.g. for a 2xx of a call already torn down) is dropped.
            Method::Ack => {}
            Method::Options => {
                let mut extra = String::new();
                extra.push_str("Allow: ");
                extra.push_str(ALLOW);
                extra.push_str("\r\nAccept: application/sdp\r\nSupported: outbound\r\n");
                self.me.user_agent(&mut extra);
                let tag = self.io.rng.token(10);
                self.io.send(response(200, &response_head(m, &tag), &extra, "", ""));
            }
            Method::Register | Method::Other if m.to.tag().is_none() => {
                let mut extra = String::from("Allow: ");
                extra.push_str(ALLOW);
                extra.push_str("\r\n");
                let code = if method == Method::Other { 501 } else { 405 };
                let tag = self.io.rng.token(10);
                self.io.send(response(code, &response_head(m, &tag), &extra, "", ""));
            }
            // §12.2.2: a request for a dialog (or transaction) we do not have.
            _ => self.io.send(response(481, &response_head(m, ""), "", "", "")),
        }
    }
}

/// The option tags of Require this UA does not support (§8.2.2.3), comma-separated.
fn unsupported_requirements(m: &Message<'_>) -> Option<String> {
    let mut out = String::new();
    for tag in m.list("Require") {
        if !tag.eq_ignore_ascii_case("outbound") {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(tag);
        }
    }
    (!out.is_empty()).then_some(out)
}
