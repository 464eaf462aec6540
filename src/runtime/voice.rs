//! The browser phone's I/O (issue 16): the WebSocket that carries SIP (RFC 7118), the
//! `agentbar-sip` user agent's timers, and one `RTCPeerConnection` per call for the audio.
//! Everything the agent sees is in [`VoiceState`]; the views only read it and call the
//! methods here. What the watchdog says comes from `core::voice`.

use super::log::warn;
use super::{now_ms, Ring};
use crate::config::Softphone;
use crate::core::voice::{
    sip_call_for, IceState, MediaProblem, MediaSample, SipOffer, VoiceAccount, Watchdog,
};
use crate::i18n::Msg;
use agentbar_sip::{CallId, Command, Config, EndedBy, Event, Input, Output, Reoffer, TimerId, UserAgent};
use gloo_timers::callback::{Interval, Timeout};
use js_sys::{Array, Object, Promise, Reflect};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::HashMap;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    HtmlAudioElement, MediaStream, MediaStreamConstraints, MediaStreamTrack, RtcConfiguration,
    RtcIceGatheringState, RtcPeerConnection, RtcRtpTransceiver, RtcRtpTransceiverDirection, RtcSdpType,
    RtcSessionDescriptionInit, WebSocket,
};

/// Where the extension's registration is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Registration {
    #[default]
    Off,
    Connecting,
    Registered,
    /// The socket dropped; it is opened again and the extension registers again.
    Reconnecting,
    /// The registrar refused (401/403: wrong extension or password).
    Failed(u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VoicePhase {
    Ringing,
    Dialing,
    Talking,
}

/// One call on the browser phone.
#[derive(Debug, Clone, PartialEq)]
pub struct VoiceCall {
    pub id: u32,
    /// The other party's number (URI user part) or display name.
    pub remote: String,
    pub incoming: bool,
    pub phase: VoicePhase,
    /// The agent put it on hold.
    pub held: bool,
    /// The other side put it on hold.
    pub remote_held: bool,
    pub muted: bool,
    pub problem: Option<MediaProblem>,
    pub packets_in: u64,
    pub packets_out: u64,
    /// When the first audio packet arrived, ms after answer (the answer-to-audio figure).
    pub first_audio_ms: Option<u64>,
}

impl VoiceCall {
    /// A call that has just begun: not held, not muted, nothing counted yet.
    fn new(id: u32, remote: String, incoming: bool, phase: VoicePhase) -> Self {
        VoiceCall {
            id,
            remote,
            incoming,
            phase,
            held: false,
            remote_held: false,
            muted: false,
            problem: None,
            packets_in: 0,
            packets_out: 0,
            first_audio_ms: None,
        }
    }
}

/// What the views read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VoiceState {
    pub registration: Registration,
    pub calls: Vec<VoiceCall>,
    /// The last thing that went wrong or changed, with a detail (a SIP status…).
    pub notice: Option<(Msg, Option<String>)>,
    /// Audio devices as (deviceId, label).
    pub mics: Vec<(String, String)>,
    pub speakers: Vec<(String, String)>,
    /// Chosen devices; "" is the system default.
    pub mic: String,
    pub speaker: String,
    pub ringer: String,
    /// The microphone's input level, 0–100, while a call or the audio test runs.
    pub level: u8,
    pub testing: bool,
}

struct Peer {
    pc: RtcPeerConnection,
    local: Option<MediaStream>,
    audio: HtmlAudioElement,
    watchdog: Watchdog,
    answered_at: Option<u64>,
    meter: Option<Meter>,
    _handlers: Vec<Closure<dyn FnMut(JsValue)>>,
}

/// An input level meter on a stream.
struct Meter {
    ctx: web_sys::AudioContext,
    analyser: web_sys::AnalyserNode,
}

impl Meter {
    fn new(stream: &MediaStream) -> Option<Meter> {
        let ctx = web_sys::AudioContext::new().ok()?;
        let source = ctx.create_media_stream_source(stream).ok()?;
        let analyser = ctx.create_analyser().ok()?;
        analyser.set_fft_size(512);
        source.connect_with_audio_node(&analyser).ok()?;
        Some(Meter { ctx, analyser })
    }

    /// RMS of the last frame, 0–100.
    fn level(&self) -> u8 {
        let mut buf = vec![0f32; self.analyser.fft_size() as usize];
        self.analyser.get_float_time_domain_data(&mut buf);
        let rms = (buf.iter().map(|x| x * x).sum::<f32>() / buf.len().max(1) as f32).sqrt();
        (rms * 300.0).clamp(0.0, 100.0) as u8
    }

    fn close(&self) {
        let _ = self.ctx.close();
    }
}

/// An incoming call's From user, the headers kept, and its SDP offer.
type Offer = (String, Vec<(String, String)>, String);

struct Inner {
    cfg: Softphone,
    ua: Option<UserAgent>,
    ws: Option<WebSocket>,
    ws_handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    timers: HashMap<TimerId, Timeout>,
    peers: HashMap<u32, Peer>,
    /// Incoming calls' From user and kept headers (to tie them to the toolbar's calls).
    offers: HashMap<u32, Offer>,
    /// The agent wants to be connected (reconnect after a drop).
    wanted: bool,
    reconnects: crate::core::poll::StreamTracker,
    reconnect: Option<Timeout>,
    ticker: Option<Interval>,
    tick: u32,
    test: Option<(MediaStream, HtmlAudioElement, Meter)>,
    watching: bool,
    /// Callbacks of timers that fired or were cancelled, dropped later (see `run`).
    spent: Vec<Closure<dyn FnMut()>>,
}

/// The browser phone. `Copy`: arena handles.
#[derive(Clone, Copy)]
pub struct Voice {
    pub state: RwSignal<VoiceState>,
    inner: StoredValue<Inner, LocalStorage>,
    ring: Ring,
}

fn error_name(e: &JsValue) -> String {
    Reflect::get(e, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_default()
}

async fn wait(p: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

fn user_part(uri: &str) -> String {
    let rest = uri.trim_start_matches('<').trim_start_matches("sips:").trim_start_matches("sip:");
    rest.split(['@', ';', '>']).next().unwrap_or_default().to_string()
}

impl Voice {
    pub fn new(cfg: Softphone, ring: Ring) -> Voice {
        Voice {
            state: RwSignal::new(VoiceState::default()),
            inner: StoredValue::new_local(Inner {
                cfg,
                ua: None,
                ws: None,
                ws_handlers: Vec::new(),
                timers: HashMap::new(),
                peers: HashMap::new(),
                offers: HashMap::new(),
                wanted: false,
                reconnects: Default::default(),
                reconnect: None,
                ticker: None,
                tick: 0,
                test: None,
                watching: false,
                spent: Vec::new(),
            }),
            ring,
        }
    }

    fn notice(&self, msg: Msg, detail: Option<String>) {
        self.state.update(|s| s.notice = Some((msg, detail)));
    }

    fn call_mut(&self, id: u32, f: impl FnOnce(&mut VoiceCall)) {
        self.state.update(|s| {
            if let Some(c) = s.calls.iter_mut().find(|c| c.id == id) {
                f(c);
            }
        });
    }

    // ------------------------------------------------------------------ registration

    /// Whether the account comes from the vendor at sign-in (no extension typed).
    pub fn automatic(&self) -> bool {
        self.inner.try_with_value(|i| i.cfg.from_ccc).unwrap_or(false)
    }

    /// The vendor could not say what the softphone is: the agent reads why.
    pub fn account_failed(&self, detail: String) {
        self.state.update(|s| s.registration = Registration::Failed(0));
        self.notice(Msg::VoiceRegisterFailed, Some(detail));
    }

    /// Registers `extension` with `password` (kept only inside the user agent, in memory) on
    /// the deployment's SIP server.
    pub fn connect(&self, extension: &str, password: &str) {
        let Some(account) = self.inner.try_with_value(|i| VoiceAccount {
            ws: i.cfg.ws.clone(),
            domain: i.cfg.domain.clone(),
            extension: extension.trim().to_string(),
            password: password.to_string(),
            register_headers: vec![],
            ice_servers: i.cfg.ice_servers.clone(),
        }) else {
            return;
        };
        self.connect_account(account);
    }

    /// Registers with an account the vendor gave (CCC's GetLoginDetails) or the agent typed.
    pub fn connect_account(&self, account: VoiceAccount) {
        let extension = account.extension.trim();
        if extension.is_empty() {
            return;
        }
        if self.inner.try_with_value(|i| i.ua.is_some()).unwrap_or(false) {
            self.disconnect();
        }
        let seed = (js_sys::Math::random() * u64::MAX as f64) as u64 ^ now_ms();
        let made = self.inner.try_update_value(|i| {
            i.cfg.ws = account.ws.clone();
            i.cfg.domain = account.domain.clone();
            i.cfg.ice_servers = account.ice_servers.clone();
            let mut cfg = Config::new(&format!("sip:{extension}@{}", i.cfg.domain), &account.password);
            cfg.register_headers = account.register_headers.clone();
            cfg.secure = i.cfg.ws.starts_with("wss:");
            cfg.outbound_proxy = i.cfg.outbound_proxy.clone();
            cfg.user_agent = "agentbar".into();
            cfg.instance_id = super::storage::voice_instance_id();
            i.ua = Some(UserAgent::new(cfg, seed));
            i.wanted = true;
            i.reconnects.healthy();
        });
        if made.is_none() {
            return;
        }
        self.state.update(|s| {
            s.registration = Registration::Connecting;
            s.notice = None;
        });
        self.feed(Input::Command(Command::Register));
        self.open_socket();
    }

    /// Unregisters and closes the socket; calls end.
    pub fn disconnect(&self) {
        let ids: Vec<u32> = self.state.with_untracked(|s| s.calls.iter().map(|c| c.id).collect());
        for id in ids {
            self.hangup(id);
        }
        self.feed(Input::Command(Command::Unregister));
        self.inner.update_value(|i| {
            i.wanted = false;
            i.reconnect = None;
            if let Some(ws) = i.ws.take() {
                ws.set_onclose(None);
                let _ = ws.close();
            }
            i.ua = None;
            i.timers.clear();
        });
        self.state.update(|s| s.registration = Registration::Off);
    }

    fn open_socket(&self) {
        let Some(url) = self.inner.try_with_value(|i| i.cfg.ws.clone()) else { return };
        let ws = match WebSocket::new_with_str(&url, "sip") {
            Ok(ws) => ws,
            Err(e) => {
                warn(&format!("voice: cannot open {url}: {e:?}"));
                self.socket_closed();
                return;
            }
        };
        let me = *self;
        let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            me.inner.update_value(|i| i.reconnects.healthy());
            me.feed(Input::Connected);
            me.restart_ice_of_live_calls();
        });
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let Ok(e) = e.dyn_into::<web_sys::MessageEvent>() else { return };
            if let Some(text) = e.data().as_string() {
                me.feed(Input::Frame(&text));
            }
        });
        let on_close = Closure::<dyn FnMut(JsValue)>::new(move |_| me.socket_closed());
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        self.inner.update_value(|i| {
            i.ws = Some(ws);
            i.ws_handlers = vec![on_open, on_message, on_close];
        });
    }

    /// The socket dropped: the UA learns it, the agent is told, and it is opened again after
    /// a backoff (0.5 s doubling to 15 s, jittered) while the agent wants voice.
    fn socket_closed(&self) {
        self.feed(Input::Disconnected);
        let me = *self;
        let again = self.inner.try_update_value(|i| {
            i.ws = None;
            if !i.wanted {
                return false;
            }
            let policy = crate::core::poll::PollPolicy::default();
            let delay = i.reconnects.refused(&policy, js_sys::Math::random()) as u32;
            // This may run inside the previous reconnect's own callback: set it aside.
            if let Some(old) = i.reconnect.replace(Timeout::new(delay, move || me.open_socket())) {
                i.spent.push(old.cancel());
            }
            true
        });
        if again == Some(true) {
            let failed = self.state.with_untracked(|s| matches!(s.registration, Registration::Failed(_)));
            if !failed {
                self.state.update(|s| s.registration = Registration::Reconnecting);
                self.notice(Msg::VoiceReconnecting, None);
            }
        }
    }

    /// After the socket comes back, a live call whose media path broke too (the network
    /// changed under it) gets an ICE restart; one whose audio still flows is left alone.
    fn restart_ice_of_live_calls(&self) {
        let live: Vec<u32> = self.state.with_untracked(|s| {
            s.calls.iter().filter(|c| c.phase == VoicePhase::Talking && !c.held).map(|c| c.id).collect()
        });
        for id in live {
            let me = *self;
            spawn_local(async move {
                let Some(pc) = me.pc(id) else { return };
                let ice = IceState::parse(&format!("{:?}", pc.ice_connection_state()).to_ascii_lowercase());
                if !matches!(ice, IceState::Disconnected | IceState::Failed) {
                    return;
                }
                let opts = Object::new();
                let _ = Reflect::set(&opts, &"iceRestart".into(), &true.into());
                if let Ok(sdp) = me.local_offer(&pc, Some(opts)).await {
                    me.feed(Input::Command(Command::Renegotiate { call: CallId(id), sdp }));
                }
            });
        }
    }

    /// Runs one input through the user agent and carries out what it asks for.
    fn feed(&self, input: Input<'_>) {
        let outputs = self.inner.try_update_value(|i| i.ua.as_mut().map(|ua| ua.handle(input, now_ms())));
        for output in outputs.flatten().unwrap_or_default() {
            self.run(output);
        }
    }

    fn run(&self, output: Output) {
        match output {
            Output::Send(frame) => {
                let sent = self.inner.try_with_value(|i| i.ws.as_ref().map(|ws| ws.send_with_str(&frame)));
                if let Some(Some(Err(e))) = sent {
                    warn(&format!("voice: send failed: {e:?}"));
                }
            }
            Output::SetTimer { id, at_ms } => {
                let me = *self;
                let delay = at_ms.saturating_sub(now_ms()).min(u32::MAX as u64) as u32;
                let t = Timeout::new(delay, move || {
                    // A closure must not be dropped while it runs: a timer that fired is put
                    // aside and dropped at the next timer or tick.
                    me.inner.update_value(|i| i.spent.clear());
                    me.feed(Input::Timer(id));
                    me.inner.update_value(|i| {
                        if let Some(t) = i.timers.remove(&id) {
                            i.spent.push(t.cancel());
                        }
                    });
                });
                self.inner.update_value(|i| {
                    i.timers.insert(id, t);
                });
            }
            Output::CancelTimer(id) => self.inner.update_value(|i| {
                if let Some(t) = i.timers.remove(&id) {
                    i.spent.push(t.cancel());
                }
            }),
            Output::Event(e) => self.on_event(e),
        }
    }

    fn on_event(&self, e: Event) {
        match e {
            Event::Registered { .. } => self.state.update(|s| {
                s.registration = Registration::Registered;
                if matches!(s.notice, Some((Msg::VoiceReconnecting, _))) {
                    s.notice = None;
                }
            }),
            Event::Unregistered => self.state.update(|s| s.registration = Registration::Off),
            Event::RegistrationFailed { code, reason } => {
                if matches!(code, 401 | 403 | 404) {
                    // Wrong credentials: retrying would only lock the extension.
                    self.inner.update_value(|i| i.wanted = false);
                    self.state.update(|s| s.registration = Registration::Failed(code));
                    self.notice(Msg::VoiceBadCredentials, Some(format!("{code} {reason}")));
                } else if code != 503 {
                    self.state.update(|s| s.registration = Registration::Failed(code));
                    self.notice(Msg::VoiceRegisterFailed, Some(format!("{code} {reason}")));
                }
            }
            Event::Dialing { .. } => {}
            Event::IncomingCall { call, from, headers, sdp_offer, .. } => {
                let remote =
                    from.display.clone().filter(|d| !d.is_empty()).unwrap_or_else(|| user_part(&from.uri));
                self.inner.update_value(|i| {
                    i.offers.insert(call.0, (user_part(&from.uri), headers, sdp_offer));
                });
                self.state.update(|s| {
                    s.calls.push(VoiceCall::new(call.0, remote.clone(), true, VoicePhase::Ringing))
                });
                self.ring.voice_ringing.set(Some(remote));
            }
            Event::Ringing { call, sdp } | Event::Progress { call, sdp, .. } => {
                if let Some(sdp) = sdp {
                    self.apply_remote(call.0, RtcSdpType::Answer, sdp, None);
                }
            }
            Event::Answered { call, sdp } => {
                self.call_mut(call.0, |c| c.phase = VoicePhase::Talking);
                self.media_expected(call.0);
                self.apply_remote(call.0, RtcSdpType::Answer, sdp, None);
            }
            Event::Confirmed { call, sdp } => {
                if let Some(sdp) = sdp {
                    self.apply_remote(call.0, RtcSdpType::Answer, sdp, None);
                }
            }
            Event::RemoteHold { call, sdp } => {
                self.call_mut(call.0, |c| c.remote_held = true);
                self.pause_watchdog(call.0);
                self.notice(Msg::VoiceHeld, None);
                self.apply_remote(call.0, RtcSdpType::Offer, sdp, Some(call));
            }
            Event::RemoteResume { call, sdp } => {
                self.call_mut(call.0, |c| c.remote_held = false);
                self.media_expected(call.0);
                self.apply_remote(call.0, RtcSdpType::Offer, sdp, Some(call));
            }
            Event::RemoteOffer { call, sdp } => self.apply_remote(call.0, RtcSdpType::Offer, sdp, Some(call)),
            Event::ReofferAccepted { call, reoffer, sdp } => {
                match reoffer {
                    Reoffer::Hold => {
                        self.call_mut(call.0, |c| c.held = true);
                        self.pause_watchdog(call.0);
                    }
                    Reoffer::Resume => {
                        self.call_mut(call.0, |c| c.held = false);
                        self.media_expected(call.0);
                    }
                    Reoffer::Renegotiate => {}
                }
                self.apply_remote(call.0, RtcSdpType::Answer, sdp, None);
            }
            Event::ReofferFailed { call, code, reason, .. } => {
                if let Some(pc) = self.pc(call.0) {
                    let rollback = RtcSessionDescriptionInit::new(RtcSdpType::Rollback);
                    let _ = pc.set_local_description(&rollback);
                }
                self.notice(Msg::GatewayError, Some(format!("{code} {reason}")));
            }
            Event::Dtmf { .. } => {}
            Event::Ended { call, by, code, reason } => {
                self.drop_call(call.0);
                let detail = match (by, code) {
                    (EndedBy::Local, _) => None,
                    (_, Some(code)) => Some(format!("{code} {reason}")),
                    (_, None) => Some(reason).filter(|r| !r.is_empty()),
                };
                if by != EndedBy::Local {
                    self.notice(Msg::VoiceCallEnded, detail);
                }
            }
        }
    }

    fn drop_call(&self, id: u32) {
        let peer = self.inner.try_update_value(|i| {
            i.offers.remove(&id);
            i.peers.remove(&id)
        });
        if let Some(Some(p)) = peer {
            close_peer(&p);
        }
        self.state.update(|s| s.calls.retain(|c| c.id != id));
        self.update_ringing();
        self.stop_ticker_if_idle();
    }

    fn update_ringing(&self) {
        let ringing = self.state.with_untracked(|s| {
            s.calls.iter().find(|c| c.phase == VoicePhase::Ringing && c.incoming).map(|c| c.remote.clone())
        });
        if self.ring.voice_ringing.get_untracked() != ringing {
            self.ring.voice_ringing.set(ringing);
        }
    }

    fn pc(&self, id: u32) -> Option<RtcPeerConnection> {
        self.inner.try_with_value(|i| i.peers.get(&id).map(|p| p.pc.clone())).flatten()
    }

    /// setRemoteDescription; for an offer (a re-INVITE), the answer goes back through the UA.
    fn apply_remote(&self, id: u32, kind: RtcSdpType, sdp: String, answer_for: Option<CallId>) {
        let Some(pc) = self.pc(id) else { return };
        let me = *self;
        spawn_local(async move {
            let desc = RtcSessionDescriptionInit::new(kind);
            desc.set_sdp(&sdp);
            if let Err(e) = wait(pc.set_remote_description(&desc)).await {
                warn(&format!("voice: remote description refused: {e:?}"));
                if let Some(call) = answer_for {
                    me.feed(Input::Command(Command::Reject { call, code: 488 }));
                }
                return;
            }
            if let Some(call) = answer_for {
                match me.local_answer(&pc).await {
                    Ok(sdp_answer) => me.feed(Input::Command(Command::Answer { call, sdp_answer })),
                    Err(_) => me.feed(Input::Command(Command::Reject { call, code: 488 })),
                }
            }
        });
    }

    // ------------------------------------------------------------------ media

    async fn microphone(&self) -> Result<MediaStream, String> {
        let mic = self.state.with_untracked(|s| s.mic.clone());
        let devices = web_sys::window()
            .ok_or("no window")?
            .navigator()
            .media_devices()
            .map_err(|_| "NotSupportedError".to_string())?;
        let constraints = MediaStreamConstraints::new();
        let audio = Object::new();
        for (k, v) in [("echoCancellation", true), ("noiseSuppression", true), ("autoGainControl", true)] {
            let _ = Reflect::set(&audio, &k.into(), &v.into());
        }
        if !mic.is_empty() {
            let exact = Object::new();
            let _ = Reflect::set(&exact, &"exact".into(), &mic.into());
            let _ = Reflect::set(&audio, &"deviceId".into(), &exact);
        }
        constraints.set_audio(&audio);
        let p = devices.get_user_media_with_constraints(&constraints).map_err(|e| error_name(&e))?;
        let stream = wait(p).await.map_err(|e| error_name(&e))?;
        let stream: MediaStream = stream.dyn_into().map_err(|_| "TypeError".to_string())?;
        self.list_devices();
        Ok(stream)
    }

    /// A peer connection for call `id` with the microphone on it; the remote audio plays
    /// through an `<audio>` element (Chromium decodes nothing without a sink).
    async fn new_peer(&self, id: u32) -> Result<RtcPeerConnection, ()> {
        let (ice, turn) =
            self.inner.try_with_value(|i| (i.cfg.ice_servers.clone(), i.cfg.has_turn())).unwrap_or_default();
        let servers = Array::new();
        for s in ice {
            let o = Object::new();
            let urls: Array = s.urls.iter().map(|u| JsValue::from_str(u)).collect();
            let _ = Reflect::set(&o, &"urls".into(), &urls);
            if let Some(u) = s.username {
                let _ = Reflect::set(&o, &"username".into(), &u.into());
            }
            if let Some(c) = s.credential {
                let _ = Reflect::set(&o, &"credential".into(), &c.into());
            }
            servers.push(&o);
        }
        let config = RtcConfiguration::new();
        config.set_ice_servers(&servers);
        let pc = RtcPeerConnection::new_with_configuration(&config).map_err(|_| ())?;
        let audio = HtmlAudioElement::new().map_err(|_| ())?;
        audio.set_autoplay(true);
        let _ = audio.set_attribute("data-testid", "voice-remote-audio");
        let _ = audio.set_attribute("data-call", &id.to_string());
        if let Some(body) = document().body() {
            let _ = body.append_child(&audio);
        }
        let speaker = self.state.with_untracked(|s| s.speaker.clone());
        set_sink(&audio, &speaker);
        let sink = audio.clone();
        let me = *self;
        let on_track = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let Ok(e) = e.dyn_into::<web_sys::RtcTrackEvent>() else { return };
            // The remote track unmutes at its first packet: the finest answer-to-audio time.
            // A one-shot listener the browser owns (it may fire again after a hold).
            let first = Closure::once_into_js(move || me.first_audio(id));
            let once = web_sys::AddEventListenerOptions::new();
            once.set_once(true);
            let _ = e.track().add_event_listener_with_callback_and_add_event_listener_options(
                "unmute",
                first.unchecked_ref(),
                &once,
            );
            let stream = e.streams().get(0).dyn_into::<MediaStream>().ok().or_else(|| {
                let s = MediaStream::new().ok()?;
                s.add_track(&e.track());
                Some(s)
            });
            sink.set_src_object(stream.as_ref());
            // A refused autoplay only logs; the agent's click on Answer allows it.
            let _ = sink.play();
        });
        pc.set_ontrack(Some(on_track.as_ref().unchecked_ref()));
        let mut watchdog = Watchdog::new(turn);
        let local = match self.microphone().await {
            Ok(stream) => {
                for track in stream.get_audio_tracks().iter() {
                    if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
                        pc.add_track_0(&track, &stream);
                    }
                }
                Some(stream)
            }
            Err(name) => {
                // No microphone: the call would connect in silence. Say so, in words.
                warn(&format!("voice: microphone refused: {name}"));
                watchdog.mic_denied();
                self.notice(Msg::VoiceMicDenied, Some(name));
                None
            }
        };
        let meter = local.as_ref().and_then(Meter::new);
        let denied = local.is_none();
        self.inner.update_value(|i| {
            i.peers.insert(
                id,
                Peer {
                    pc: pc.clone(),
                    local,
                    audio,
                    watchdog,
                    answered_at: None,
                    meter,
                    _handlers: vec![on_track],
                },
            );
        });
        if denied {
            self.call_mut(id, |c| c.problem = Some(MediaProblem::MicDenied));
            return Err(());
        }
        self.start_ticker();
        Ok(pc)
    }

    /// setLocalDescription of a new offer, then the SDP once ICE gathering completes (no
    /// trickle ICE over SIP).
    async fn local_offer(&self, pc: &RtcPeerConnection, options: Option<Object>) -> Result<String, JsValue> {
        let offer = match options {
            Some(o) => pc.create_offer_with_rtc_offer_options(o.unchecked_ref()),
            None => pc.create_offer(),
        };
        let offer = wait(offer).await?;
        self.gathered(pc, offer.unchecked_into()).await
    }

    async fn local_answer(&self, pc: &RtcPeerConnection) -> Result<String, JsValue> {
        let answer = wait(pc.create_answer()).await?;
        self.gathered(pc, answer.unchecked_into()).await
    }

    async fn gathered(
        &self,
        pc: &RtcPeerConnection,
        desc: RtcSessionDescriptionInit,
    ) -> Result<String, JsValue> {
        wait(pc.set_local_description(&desc)).await?;
        // Gathering on loopback takes ~150 ms; a host behind a dead STUN server gets 3 s.
        for _ in 0..60 {
            if pc.ice_gathering_state() == RtcIceGatheringState::Complete {
                break;
            }
            gloo_timers::future::TimeoutFuture::new(50).await;
        }
        pc.local_description().map(|d| d.sdp()).ok_or_else(|| JsValue::from_str("no local description"))
    }

    fn first_audio(&self, id: u32) {
        let since = self.inner.try_with_value(|i| i.peers.get(&id).and_then(|p| p.answered_at)).flatten();
        if let Some(at) = since {
            self.call_mut(id, |c| {
                c.first_audio_ms.get_or_insert(now_ms().saturating_sub(at));
            });
        }
    }

    fn media_expected(&self, id: u32) {
        self.inner.update_value(|i| {
            if let Some(p) = i.peers.get_mut(&id) {
                p.watchdog.expect_media(now_ms());
                p.answered_at.get_or_insert(now_ms());
            }
        });
    }

    fn pause_watchdog(&self, id: u32) {
        self.inner.update_value(|i| {
            if let Some(p) = i.peers.get_mut(&id) {
                p.watchdog.pause();
            }
        });
        self.call_mut(id, |c| c.problem = None);
    }

    // ------------------------------------------------------------------ calls

    /// Calls `target` (a number or SIP URI).
    pub fn dial(&self, target: &str) {
        let target = target.trim().to_string();
        if target.is_empty() || self.state.with_untracked(|s| s.registration != Registration::Registered) {
            return;
        }
        let me = *self;
        spawn_local(async move {
            // The UA numbers calls from 1; the peer is made first, under a number of its own.
            let temp = u32::MAX - (now_ms() % 1_000_000) as u32;
            let Ok(pc) = me.new_peer(temp).await else {
                me.drop_peer(temp);
                return;
            };
            let Ok(sdp_offer) = me.local_offer(&pc, None).await else {
                me.drop_peer(temp);
                return;
            };
            let outputs = me
                .inner
                .try_update_value(|i| {
                    i.ua.as_mut().map(|ua| {
                        ua.handle(
                            Input::Command(Command::Call {
                                target: target.clone(),
                                sdp_offer,
                                headers: vec![],
                            }),
                            now_ms(),
                        )
                    })
                })
                .flatten()
                .unwrap_or_default();
            let id = outputs.iter().find_map(|o| match o {
                Output::Event(Event::Dialing { call, .. }) => Some(call.0),
                _ => None,
            });
            match id {
                Some(id) => {
                    me.inner.update_value(|i| {
                        if let Some(p) = i.peers.remove(&temp) {
                            i.peers.insert(id, p);
                        }
                    });
                    me.state.update(|s| {
                        s.calls.push(VoiceCall::new(id, user_part(&target), false, VoicePhase::Dialing))
                    });
                }
                None => me.drop_peer(temp),
            }
            for o in outputs {
                me.run(o);
            }
        });
    }

    fn drop_peer(&self, id: u32) {
        if let Some(Some(p)) = self.inner.try_update_value(|i| i.peers.remove(&id)) {
            close_peer(&p);
        }
        self.stop_ticker_if_idle();
    }

    /// Answers a ringing call: microphone, peer connection, SDP answer. With no microphone
    /// the call is not answered into silence: the agent reads why.
    pub fn answer(&self, id: u32) {
        let Some(offer) = self.inner.try_with_value(|i| i.offers.get(&id).map(|o| o.2.clone())).flatten()
        else {
            return;
        };
        let ringing = self
            .state
            .with_untracked(|s| s.calls.iter().any(|c| c.id == id && c.phase == VoicePhase::Ringing));
        if !ringing {
            return;
        }
        // A second click while this one works is ignored.
        self.call_mut(id, |c| c.phase = VoicePhase::Dialing);
        let clicked = now_ms();
        let me = *self;
        spawn_local(async move {
            let back_to_ringing = || me.call_mut(id, |c| c.phase = VoicePhase::Ringing);
            let Ok(pc) = me.new_peer(id).await else {
                me.drop_peer(id);
                back_to_ringing();
                return;
            };
            // Answer-to-audio counts from the agent's click.
            me.inner.update_value(|i| {
                if let Some(p) = i.peers.get_mut(&id) {
                    p.answered_at = Some(clicked);
                }
            });
            let desc = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
            desc.set_sdp(&offer);
            if wait(pc.set_remote_description(&desc)).await.is_err() {
                me.feed(Input::Command(Command::Reject { call: CallId(id), code: 488 }));
                return;
            }
            match me.local_answer(&pc).await {
                Ok(sdp_answer) => {
                    me.call_mut(id, |c| c.phase = VoicePhase::Talking);
                    me.media_expected(id);
                    me.update_ringing();
                    me.feed(Input::Command(Command::Answer { call: CallId(id), sdp_answer }));
                }
                Err(_) => me.feed(Input::Command(Command::Reject { call: CallId(id), code: 488 })),
            }
        });
    }

    pub fn reject(&self, id: u32) {
        self.feed(Input::Command(Command::Reject { call: CallId(id), code: 486 }));
    }

    pub fn hangup(&self, id: u32) {
        self.feed(Input::Command(Command::Hangup { call: CallId(id) }));
    }

    /// Hold (`inactive`) or resume (`sendrecv`) by re-INVITE.
    pub fn set_hold(&self, id: u32, hold: bool) {
        let Some(pc) = self.pc(id) else { return };
        let me = *self;
        spawn_local(async move {
            let dir = if hold {
                RtcRtpTransceiverDirection::Inactive
            } else {
                RtcRtpTransceiverDirection::Sendrecv
            };
            for t in pc.get_transceivers().iter() {
                if let Ok(t) = t.dyn_into::<RtcRtpTransceiver>() {
                    t.set_direction(dir);
                }
            }
            let Ok(sdp) = me.local_offer(&pc, None).await else { return };
            let call = CallId(id);
            me.feed(Input::Command(if hold {
                Command::Hold { call, sdp }
            } else {
                Command::Resume { call, sdp }
            }));
        });
    }

    /// Real mute: the microphone track is disabled (nothing is sent but silence).
    pub fn set_mute(&self, id: u32, mute: bool) {
        self.inner.with_value(|i| {
            if let Some(stream) = i.peers.get(&id).and_then(|p| p.local.as_ref()) {
                for t in stream.get_audio_tracks().iter() {
                    if let Ok(t) = t.dyn_into::<MediaStreamTrack>() {
                        t.set_enabled(!mute);
                    }
                }
            }
        });
        self.call_mut(id, |c| c.muted = mute);
    }

    /// DTMF: RFC 4733 through the sender's `RTCDTMFSender`, or SIP INFO when configured.
    pub fn dtmf(&self, id: u32, digits: &str) {
        let digits: String = digits.chars().filter(|c| c.is_ascii_digit() || "*#ABCD".contains(*c)).collect();
        if digits.is_empty() {
            return;
        }
        if self.inner.try_with_value(|i| i.cfg.dtmf_info).unwrap_or(false) {
            for digit in digits.chars() {
                self.feed(Input::Command(Command::SendInfoDtmf {
                    call: CallId(id),
                    digit,
                    duration_ms: 160,
                }));
            }
            return;
        }
        let Some(pc) = self.pc(id) else { return };
        for sender in pc.get_senders().iter() {
            if let Some(dtmf) = sender.dyn_into::<web_sys::RtcRtpSender>().ok().and_then(|s| s.dtmf()) {
                dtmf.insert_dtmf_with_duration_and_inter_tone_gap(&digits, 160, 80);
                return;
            }
        }
    }

    /// The toolbar's call `call_id` from `caller` was answered (or hung up) there: the SIP
    /// call carrying its audio follows.
    pub fn follow_toolbar(&self, call_id: &str, caller: &str, answered: bool) {
        let extra = self.inner.try_with_value(|i| i.cfg.call_id_header.clone()).flatten();
        let ringing: Vec<u32> = self.state.with_untracked(|s| {
            s.calls.iter().filter(|c| c.phase == VoicePhase::Ringing || !answered).map(|c| c.id).collect()
        });
        let id = self
            .inner
            .try_with_value(|i| {
                let offers: Vec<SipOffer> = ringing
                    .iter()
                    .filter_map(|id| {
                        i.offers.get(id).map(|(from, headers, _)| SipOffer {
                            id: *id,
                            from_user: from,
                            headers,
                        })
                    })
                    .collect();
                sip_call_for(call_id, caller, extra.as_deref(), &offers)
            })
            .flatten();
        match (id, answered) {
            (Some(id), true) => self.answer(id),
            (Some(id), false) => self.hangup(id),
            (None, _) => {}
        }
    }

    // ------------------------------------------------------------------ devices

    /// Lists the audio devices and follows changes (once; called when the panel mounts, after
    /// the executor is up).
    pub fn watch_devices(&self) {
        if self.inner.try_update_value(|i| std::mem::replace(&mut i.watching, true)) != Some(false) {
            return;
        }
        let Some(devices) = web_sys::window().and_then(|w| w.navigator().media_devices().ok()) else {
            return;
        };
        let me = *self;
        let changed = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            me.list_devices();
            me.notice(Msg::VoiceDeviceChanged, None);
        });
        devices.set_ondevicechange(Some(changed.as_ref().unchecked_ref()));
        changed.forget();
        self.list_devices();
    }

    /// Reads the device lists; a chosen microphone that went away falls back to the default
    /// (mid-call too, without one-way audio: `replaceTrack`).
    pub fn list_devices(&self) {
        let Some(devices) = web_sys::window().and_then(|w| w.navigator().media_devices().ok()) else {
            return;
        };
        let Ok(p) = devices.enumerate_devices() else { return };
        let me = *self;
        spawn_local(async move {
            let Ok(list) = wait(p).await else { return };
            let (mut mics, mut speakers) = (vec![], vec![]);
            for d in Array::from(&list).iter() {
                let Ok(d) = d.dyn_into::<web_sys::MediaDeviceInfo>() else { continue };
                let entry = (d.device_id(), d.label());
                match d.kind() {
                    web_sys::MediaDeviceKind::Audioinput => mics.push(entry),
                    web_sys::MediaDeviceKind::Audiooutput => speakers.push(entry),
                    _ => {}
                }
            }
            let lost_mic =
                me.state.with_untracked(|s| !s.mic.is_empty() && !mics.iter().any(|(id, _)| *id == s.mic));
            me.state.update(|s| {
                s.mics = mics;
                s.speakers = speakers;
            });
            if lost_mic {
                me.choose_mic(String::new());
            }
        });
    }

    /// Switches the microphone; live calls get the new track through `replaceTrack`.
    pub fn choose_mic(&self, device: String) {
        self.state.update(|s| s.mic = device);
        let live: Vec<u32> =
            self.inner.try_with_value(|i| i.peers.keys().copied().collect()).unwrap_or_default();
        if live.is_empty() {
            return;
        }
        let me = *self;
        spawn_local(async move {
            let Ok(stream) = me.microphone().await else {
                me.notice(Msg::VoiceMicDenied, None);
                return;
            };
            let Some(track) = stream.get_audio_tracks().get(0).dyn_into::<MediaStreamTrack>().ok() else {
                return;
            };
            for id in live {
                let muted = me.state.with_untracked(|s| s.calls.iter().any(|c| c.id == id && c.muted));
                let track = track.clone();
                track.set_enabled(!muted);
                let Some(pc) = me.pc(id) else { continue };
                for sender in pc.get_senders().iter() {
                    if let Ok(sender) = sender.dyn_into::<web_sys::RtcRtpSender>() {
                        let _ = wait(sender.replace_track(Some(&track))).await;
                    }
                }
                let old = me.inner.try_update_value(|i| {
                    i.peers.get_mut(&id).map(|p| {
                        let old = p.local.replace(stream.clone());
                        if let Some(m) = p.meter.take() {
                            m.close();
                        }
                        p.meter = Meter::new(&stream);
                        old
                    })
                });
                if let Some(Some(Some(old))) = old {
                    stop_stream(&old);
                }
            }
        });
    }

    pub fn choose_speaker(&self, device: String) {
        self.inner.with_value(|i| {
            for p in i.peers.values() {
                set_sink(&p.audio, &device);
            }
            if let Some((_, audio, _)) = &i.test {
                set_sink(audio, &device);
            }
        });
        self.state.update(|s| s.speaker = device);
    }

    pub fn choose_ringer(&self, device: String) {
        self.ring.ringer_sink.set(device.clone());
        self.state.update(|s| s.ringer = device);
    }

    /// "Test my audio": the microphone plays back through the chosen speaker, with the level
    /// meter moving; again to stop.
    pub fn toggle_test(&self) {
        if let Some(Some((stream, audio, meter))) = self.inner.try_update_value(|i| i.test.take()) {
            stop_stream(&stream);
            audio.set_src_object(None);
            meter.close();
            self.state.update(|s| {
                s.testing = false;
                s.level = 0;
            });
            self.stop_ticker_if_idle();
            return;
        }
        let me = *self;
        spawn_local(async move {
            let stream = match me.microphone().await {
                Ok(s) => s,
                Err(name) => {
                    me.notice(Msg::VoiceMicDenied, Some(name));
                    return;
                }
            };
            let Ok(audio) = HtmlAudioElement::new() else { return };
            set_sink(&audio, &me.state.with_untracked(|s| s.speaker.clone()));
            audio.set_src_object(Some(&stream));
            let _ = audio.play();
            let Some(meter) = Meter::new(&stream) else { return };
            me.inner.update_value(|i| i.test = Some((stream, audio, meter)));
            me.state.update(|s| s.testing = true);
            me.start_ticker();
        });
    }

    // ------------------------------------------------------------------ the watchdog

    fn start_ticker(&self) {
        let me = *self;
        self.inner.update_value(|i| {
            if i.ticker.is_none() {
                i.ticker = Some(Interval::new(250, move || me.tick()));
            }
        });
    }

    fn stop_ticker_if_idle(&self) {
        self.inner.update_value(|i| {
            if i.peers.is_empty() && i.test.is_none() {
                i.ticker = None;
            }
        });
        if self.inner.try_with_value(|i| i.ticker.is_none()).unwrap_or(false) {
            self.state.update(|s| s.level = 0);
        }
    }

    /// Every 250 ms: the level meter; every second: `getStats()` into the watchdog.
    fn tick(&self) {
        let (level, stats_due) = self
            .inner
            .try_update_value(|i| {
                i.spent.clear();
                i.tick = i.tick.wrapping_add(1);
                let meters =
                    i.peers.values().filter_map(|p| p.meter.as_ref()).chain(i.test.as_ref().map(|t| &t.2));
                (meters.map(Meter::level).max().unwrap_or(0), i.tick.is_multiple_of(4))
            })
            .unwrap_or_default();
        if self.state.with_untracked(|s| s.level) != level {
            self.state.update(|s| s.level = level);
        }
        if !stats_due {
            return;
        }
        let peers: Vec<(u32, RtcPeerConnection)> = self
            .inner
            .try_with_value(|i| i.peers.iter().map(|(id, p)| (*id, p.pc.clone())).collect())
            .unwrap_or_default();
        for (id, pc) in peers {
            let me = *self;
            spawn_local(async move {
                let Ok(report) = wait(pc.get_stats()).await else { return };
                let mut sample = MediaSample {
                    at_ms: now_ms(),
                    ice: IceState::parse(&format!("{:?}", pc.ice_connection_state()).to_ascii_lowercase()),
                    ..Default::default()
                };
                if let Ok(values) = Reflect::get(&report, &"values".into())
                    .and_then(|f| f.dyn_into::<js_sys::Function>().and_then(|f| f.call0(&report)))
                {
                    if let Ok(iter) = js_sys::try_iter(&values) {
                        for stat in iter.into_iter().flatten().flatten() {
                            let field = |k: &str| Reflect::get(&stat, &k.into()).ok();
                            let kind = field("type").and_then(|t| t.as_string()).unwrap_or_default();
                            let num = |k: &str| field(k).and_then(|v| v.as_f64()).unwrap_or(0.0);
                            match kind.as_str() {
                                "inbound-rtp" => sample.packets_in += num("packetsReceived") as u64,
                                "outbound-rtp" => sample.packets_out += num("packetsSent") as u64,
                                "media-source" => sample.level_out = sample.level_out.max(num("audioLevel")),
                                _ => {}
                            }
                        }
                    }
                }
                let outcome = me.inner.try_update_value(|i| {
                    i.peers.get_mut(&id).map(|p| {
                        let problem = p.watchdog.sample(sample);
                        let first = p
                            .answered_at
                            .filter(|_| sample.packets_in > 0)
                            .map(|at| sample.at_ms.saturating_sub(at));
                        (problem, first)
                    })
                });
                if let Some(Some((problem, first))) = outcome {
                    me.call_mut(id, |c| {
                        c.problem = problem;
                        c.packets_in = sample.packets_in;
                        c.packets_out = sample.packets_out;
                        if c.first_audio_ms.is_none() {
                            c.first_audio_ms = first;
                        }
                    });
                }
            });
        }
    }
}

fn stop_stream(stream: &MediaStream) {
    for t in stream.get_tracks().iter() {
        if let Ok(t) = t.dyn_into::<MediaStreamTrack>() {
            t.stop();
        }
    }
}

fn close_peer(p: &Peer) {
    p.pc.close();
    if let Some(s) = &p.local {
        stop_stream(s);
    }
    if let Some(m) = &p.meter {
        m.close();
    }
    p.audio.set_src_object(None);
    p.audio.remove();
}

/// `HTMLMediaElement.setSinkId` (not in web-sys' stable API): "" is the default device.
fn set_sink(el: &HtmlAudioElement, device: &str) {
    if let Ok(f) = Reflect::get(el, &"setSinkId".into()).and_then(|f| f.dyn_into::<js_sys::Function>()) {
        // A device that went away rejects: the element keeps playing on the one it had.
        let _ = f.call1(el, &device.into());
    }
}
