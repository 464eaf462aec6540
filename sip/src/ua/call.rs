//! INVITE dialogs (RFC 3261 §12–§15, §17 for a reliable transport).

use super::{
    reason_text, response, response_head, Auth, CallId, CallState, EndedBy, Event, Io, Local, Party, Reoffer,
    Req, TimerId, TRANSACTION_TIMEOUT_MS,
};
use crate::msg::{self, reason_phrase, Message, Method, StartLine};
use crate::sdp;

const SDP: &str = "application/sdp";
const DTMF_RELAY: &str = "application/dtmf-relay";

/// Headers an app may match an incoming call against its contact-centre call by (besides
/// every `X-` header).
const APP_HEADERS: &[&str] = &[
    "Call-Info",
    "Alert-Info",
    "P-Asserted-Identity",
    "Remote-Party-ID",
    "Diversion",
    "History-Info",
    "Subject",
    "User-to-User",
];

#[derive(Debug)]
pub(super) struct Call {
    pub(super) id: CallId,
    pub(super) state: CallState,
    /// `Ended` was reported; only transactions are being finished.
    pub(super) ended: bool,
    /// We sent the initial INVITE (so we "own" the Call-ID for §14.1 glare delays).
    outgoing: bool,
    pub(super) d: Dialog,
    /// Our INVITE or re-INVITE awaiting its final response.
    invite: Option<InviteTx>,
    /// The INVITE whose 2xx we ACKed, to ACK retransmissions and other forks (§13.2.2.4).
    accepted: Option<(String, String)>,
    /// An incoming INVITE or re-INVITE awaiting our final response, or its ACK.
    server: Option<ServerTx>,
    /// Our BYE and INFO transactions.
    pending: Vec<NonInvite>,
    local_sdp: String,
    remote_sdp: String,
    /// The peer's last accepted offer put us on hold.
    remote_hold: bool,
    /// Hung up while our 2xx waited for its ACK: BYE once it arrives or times out (§15).
    bye_after_ack: bool,
    /// A re-INVITE to send again after a 491, and its timer.
    glare: Option<(TimerId, Reoffer, String)>,
}

/// Dialog state (§12). Before the dialog exists, `target` and `routes` are those of the
/// initial request and the remote tag is empty.
#[derive(Debug, Clone)]
pub(super) struct Dialog {
    pub(super) call_id: String,
    /// Our From (UAC) or To (UAS) value, with our tag.
    local: String,
    local_tag: String,
    /// The peer's, with its tag once known.
    remote: String,
    remote_tag: String,
    /// Request-URI of in-dialog requests: the peer's Contact.
    target: String,
    routes: Vec<String>,
    local_cseq: u32,
    remote_cseq: u32,
}

#[derive(Debug)]
struct InviteTx {
    branch: String,
    cseq: u32,
    /// Request-URI, To and Route as sent: CANCEL and the ACK of a failure repeat them.
    uri: String,
    to: String,
    routes: Vec<String>,
    /// `None` for the initial INVITE.
    reoffer: Option<Reoffer>,
    sdp: String,
    /// The app's extra headers, to repeat when re-sent with credentials.
    extra: String,
    /// The credentials line sent; the ACK of a 2xx repeats it (§22.1).
    auth: String,
    round: u8,
    provisional: bool,
    cancel: Cancel,
    /// Timer B, or after CANCEL the wait for the final response.
    timer: Option<TimerId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cancel {
    No,
    /// Hung up before any provisional response: CANCEL when one comes (§9.1).
    Wanted,
    Sent,
}

#[derive(Debug)]
struct ServerTx {
    branch: String,
    cseq: u32,
    /// Vias, From, To with our tag, Call-ID, CSeq.
    head: String,
    /// Record-Route lines, copied into dialog-forming responses (§12.1.1).
    rr: String,
    reinvite: bool,
    /// The offer in the request; empty for a late offer.
    offer: String,
    /// `None` until our final response; then whether it was a 2xx. Timer H runs meanwhile.
    final_sent: Option<bool>,
    timer: Option<TimerId>,
}

#[derive(Debug)]
struct NonInvite {
    branch: String,
    method: Method,
    body: String,
    round: u8,
    /// Timer F.
    timer: Option<TimerId>,
}

impl Dialog {
    /// A request inside the dialog (§12.2.1.1).
    fn request(
        &self,
        me: &Local,
        method: Method,
        branch: &str,
        cseq: u32,
        extra: &str,
        body: &str,
    ) -> String {
        me.render(&Req {
            method,
            uri: &self.target,
            branch,
            from: &self.local,
            to: &self.remote,
            call_id: &self.call_id,
            cseq,
            routes: &self.routes,
            extra,
            content_type: content_type(method),
            body,
        })
    }

    /// Remote tag, To, target and route set (Record-Route reversed) of a UAC dialog from a
    /// response that creates or confirms it (§12.1.2, §13.2.2.4).
    fn take_response(&mut self, m: &Message<'_>) {
        self.remote_tag = m.to.tag().unwrap_or_default().into();
        self.remote = m.header("To").unwrap_or_default().into();
        if let Some(c) = m.contacts().next() {
            self.target = c.uri.into();
        }
        let mut routes: Vec<String> = m.list("Record-Route").map(String::from).collect();
        routes.reverse();
        self.routes = routes;
    }
}

fn content_type(method: Method) -> &'static str {
    match method {
        Method::Invite => SDP,
        Method::Info => DTMF_RELAY,
        _ => "",
    }
}

fn party(display: Option<&str>, uri: &str) -> Party {
    Party { display: display.map(String::from), uri: uri.into() }
}

fn response_reason<'a>(m: &Message<'a>) -> &'a str {
    match m.start {
        StartLine::Response { reason, .. } => reason,
        StartLine::Request { .. } => "",
    }
}

/// The digit of an INFO body: `Signal=5` (application/dtmf-relay) or `5` (application/dtmf).
fn info_digit(m: &Message<'_>) -> Option<char> {
    let signal = if m.body_is(DTMF_RELAY) {
        m.body
            .lines()
            .find_map(|l| l.trim().strip_prefix("Signal=").or_else(|| l.trim().strip_prefix("Signal =")))?
    } else if m.body_is("application/dtmf") {
        m.body
    } else {
        return None;
    };
    match signal.trim() {
        "10" => Some('*'),
        "11" => Some('#'),
        s if s.len() == 1 => s.chars().next().filter(|c| "0123456789*#ABCD".contains(*c)),
        _ => None,
    }
}

impl Call {
    /// A new outgoing call; reports `Dialing` and sends the INVITE.
    pub(super) fn dial(
        me: &Local,
        io: &mut Io,
        target: &str,
        sdp_offer: String,
        headers: &[(String, String)],
    ) -> Call {
        let id = CallId(io.id());
        let uri = me.target_uri(target);
        let valid = uri.is_some();
        let uri = uri.unwrap_or_default();
        let local_tag = io.rng.token(10);
        let mut local = me.from.clone();
        local.push_str(";tag=");
        local.push_str(&local_tag);
        let mut remote = String::from("<");
        remote.push_str(&uri);
        remote.push('>');
        let mut extra = String::new();
        for (name, value) in headers {
            let name_ok = !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b));
            if name_ok && !value.contains(['\r', '\n']) {
                msg::header(&mut extra, name, value);
            }
        }
        let d = Dialog {
            call_id: io.rng.token(22),
            local,
            local_tag,
            remote,
            remote_tag: String::new(),
            target: uri,
            routes: me.proxy_routes.clone(),
            local_cseq: 0,
            remote_cseq: 0,
        };
        let mut c = Call::new(id, CallState::Dialing, true, d);
        io.event(Event::Dialing { call: id, sip_call_id: c.d.call_id.clone() });
        if !valid {
            c.end(io, EndedBy::Local, Some(484), reason_phrase(484));
        } else if !io.connected {
            c.end(io, EndedBy::Transport, Some(503), "Connection lost");
        } else {
            c.send_invite(me, io, None, sdp_offer, extra, String::new(), 0);
        }
        c
    }

    /// A new incoming call from an INVITE without To tag: 100 and 180 go out, the app hears
    /// `IncomingCall`. `None` (and a failure response) when the INVITE is unusable.
    pub(super) fn incoming(m: &Message<'_>, me: &Local, io: &mut Io) -> Option<Call> {
        let tag = io.rng.token(10);
        let head = response_head(m, &tag);
        if !m.body.is_empty() && !m.body_is(SDP) {
            io.send(response(415, &head, "Accept: application/sdp\r\n", "", ""));
            return None;
        }
        let Some(contact) = m.contacts().next() else {
            io.send(response(400, &head, "", "", ""));
            return None;
        };
        let mut rr = String::new();
        for v in m.headers_named("Record-Route") {
            msg::header(&mut rr, "Record-Route", v);
        }
        let mut local = m.header("To").unwrap_or_default().to_string();
        local.push_str(";tag=");
        local.push_str(&tag);
        let d = Dialog {
            call_id: m.call_id.into(),
            local,
            local_tag: tag,
            remote: m.header("From").unwrap_or_default().into(),
            remote_tag: m.from.tag().unwrap_or_default().into(),
            target: contact.uri.into(),
            routes: m.list("Record-Route").map(String::from).collect(),
            local_cseq: 0,
            remote_cseq: m.cseq.seq,
        };
        let id = CallId(io.id());
        let mut c = Call::new(id, CallState::Incoming, false, d);
        io.send(response(100, &head, "", "", ""));
        let mut extra = rr.clone();
        me.dialog_headers(&mut extra);
        io.send(response(180, &head, &extra, "", ""));
        let headers = m
            .headers
            .iter()
            .filter(|h| {
                h.name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("X-"))
                    || APP_HEADERS.iter().any(|a| a.eq_ignore_ascii_case(h.name))
            })
            .map(|h| (h.name.to_string(), h.value.to_string()))
            .collect();
        let offer = m.body.to_string();
        io.event(Event::IncomingCall {
            call: id,
            sip_call_id: m.call_id.into(),
            from: party(m.from.display, m.from.uri),
            to: party(m.to.display, m.to.uri),
            sdp_offer: offer.clone(),
            headers,
        });
        c.remote_sdp = offer.clone();
        c.server = Some(ServerTx {
            branch: m.via.branch().unwrap_or_default().into(),
            cseq: m.cseq.seq,
            head,
            rr,
            reinvite: false,
            offer,
            final_sent: None,
            timer: None,
        });
        Some(c)
    }

    fn new(id: CallId, state: CallState, outgoing: bool, d: Dialog) -> Call {
        Call {
            id,
            state,
            ended: false,
            outgoing,
            d,
            invite: None,
            accepted: None,
            server: None,
            pending: Vec::new(),
            local_sdp: String::new(),
            remote_sdp: String::new(),
            remote_hold: false,
            bye_after_ack: false,
            glare: None,
        }
    }

    /// Nothing left to do: the call can be forgotten. An ended call still absorbs the
    /// responses to its transactions and the ACK for its final response.
    pub(super) fn finished(&self) -> bool {
        self.ended
            && self.invite.is_none()
            && self.pending.is_empty()
            && self.server.as_ref().is_none_or(|s| s.final_sent.is_none())
    }

    fn end(&mut self, io: &mut Io, by: EndedBy, code: Option<u16>, reason: &str) {
        if self.ended {
            return;
        }
        self.ended = true;
        if let Some((t, ..)) = self.glare.take() {
            io.cancel(&mut Some(t));
        }
        io.event(Event::Ended { call: self.id, by, code, reason: reason.into() });
    }

    // ---- app commands ----

    pub(super) fn answer(&mut self, me: &Local, io: &mut Io, sdp_answer: String) {
        let Some(s) = self.server.as_mut().filter(|s| s.final_sent.is_none()) else { return };
        let mut extra = s.rr.clone();
        me.dialog_headers(&mut extra);
        me.user_agent(&mut extra);
        io.send(response(200, &s.head, &extra, SDP, &sdp_answer));
        s.final_sent = Some(true);
        s.timer = io.timer(TRANSACTION_TIMEOUT_MS);
        if !s.offer.is_empty() {
            self.remote_hold = sdp::direction(&s.offer).is_hold();
            self.remote_sdp = core::mem::take(&mut s.offer);
        }
        self.local_sdp = sdp_answer;
        self.state = CallState::Established;
    }

    pub(super) fn reject(&mut self, io: &mut Io, code: u16) {
        let code = if (300..700).contains(&code) { code } else { 603 };
        let Some(s) = self.server.as_mut().filter(|s| s.final_sent.is_none()) else { return };
        io.send(response(code, &s.head, "", "", ""));
        s.final_sent = Some(false);
        s.timer = io.timer(TRANSACTION_TIMEOUT_MS);
        if !s.reinvite {
            self.end(io, EndedBy::Local, Some(code), reason_phrase(code));
        }
    }

    pub(super) fn hangup(&mut self, me: &Local, io: &mut Io) {
        match self.state {
            CallState::Dialing | CallState::Early => {
                if let Some(tx) = self.invite.as_mut().filter(|t| t.reoffer.is_none()) {
                    if tx.provisional {
                        Self::send_cancel(&self.d, tx, me, io);
                    } else {
                        tx.cancel = Cancel::Wanted;
                    }
                }
                self.end(io, EndedBy::Local, None, "CANCEL");
            }
            CallState::Incoming => self.reject(io, 486),
            CallState::Established => {
                let awaiting_ack = self.server.as_ref().is_some_and(|s| s.final_sent == Some(true));
                if awaiting_ack {
                    self.bye_after_ack = true;
                } else {
                    self.send_non_invite(me, io, Method::Bye, String::new(), String::new(), 0);
                }
                self.end(io, EndedBy::Local, None, "BYE");
            }
        }
    }

    pub(super) fn reoffer(&mut self, me: &Local, io: &mut Io, reoffer: Reoffer, sdp: String) {
        // §14.1: no re-INVITE while another INVITE transaction is in progress either way.
        let busy = self.state != CallState::Established
            || self.invite.is_some()
            || self.glare.is_some()
            || self.server.as_ref().is_some_and(|s| s.final_sent != Some(false));
        if busy || !io.connected {
            let code = if io.connected { 491 } else { 503 };
            io.event(Event::ReofferFailed {
                call: self.id,
                reoffer,
                code,
                reason: reason_phrase(code).into(),
            });
            return;
        }
        self.send_invite(me, io, Some(reoffer), sdp, String::new(), String::new(), 0);
    }

    pub(super) fn send_dtmf(&mut self, me: &Local, io: &mut Io, digit: char, duration_ms: u32) {
        let digit = digit.to_ascii_uppercase();
        if self.state != CallState::Established || !"0123456789*#ABCD".contains(digit) {
            return;
        }
        let mut body = String::from("Signal=");
        body.push(digit);
        body.push_str("\r\nDuration=");
        msg::push_num(&mut body, u64::from(if duration_ms == 0 { 160 } else { duration_ms }));
        body.push_str("\r\n");
        self.send_non_invite(me, io, Method::Info, body, String::new(), 0);
    }

    // ---- sending ----

    #[allow(clippy::too_many_arguments)] // one call site per use; a struct would only rename them
    fn send_invite(
        &mut self,
        me: &Local,
        io: &mut Io,
        reoffer: Option<Reoffer>,
        sdp: String,
        extra: String,
        auth: String,
        round: u8,
    ) {
        self.d.local_cseq += 1;
        let branch = io.branch();
        let mut headers = String::with_capacity(200);
        me.dialog_headers(&mut headers);
        headers.push_str(&extra);
        headers.push_str(&auth);
        io.send(self.d.request(me, Method::Invite, &branch, self.d.local_cseq, &headers, &sdp));
        let timer = io.timer(TRANSACTION_TIMEOUT_MS);
        self.invite = Some(InviteTx {
            branch,
            cseq: self.d.local_cseq,
            uri: self.d.target.clone(),
            to: self.d.remote.clone(),
            routes: self.d.routes.clone(),
            reoffer,
            sdp,
            extra,
            auth,
            round,
            provisional: false,
            cancel: Cancel::No,
            timer,
        });
    }

    /// §9.1: same Request-URI, Call-ID, From, To, CSeq number, Route and branch as the INVITE.
    fn send_cancel(d: &Dialog, tx: &mut InviteTx, me: &Local, io: &mut Io) {
        io.send(me.render(&Req {
            method: Method::Cancel,
            uri: &tx.uri,
            branch: &tx.branch,
            from: &d.local,
            to: &tx.to,
            call_id: &d.call_id,
            cseq: tx.cseq,
            routes: &tx.routes,
            extra: "",
            content_type: "",
            body: "",
        }));
        tx.cancel = Cancel::Sent;
        io.cancel(&mut tx.timer);
        tx.timer = io.timer(TRANSACTION_TIMEOUT_MS);
    }

    fn send_non_invite(
        &mut self,
        me: &Local,
        io: &mut Io,
        method: Method,
        body: String,
        auth: String,
        round: u8,
    ) {
        if !io.connected {
            return;
        }
        self.d.local_cseq += 1;
        let branch = io.branch();
        io.send(self.d.request(me, method, &branch, self.d.local_cseq, &auth, &body));
        let timer = io.timer(TRANSACTION_TIMEOUT_MS);
        self.pending.push(NonInvite { branch, method, body, round, timer });
    }

    fn bye_and_end(&mut self, me: &Local, io: &mut Io, by: EndedBy, code: u16, reason: &str) {
        if !self.ended {
            self.send_non_invite(me, io, Method::Bye, String::new(), String::new(), 0);
        }
        self.end(io, by, Some(code), reason);
    }

    // ---- responses ----

    /// Whether `m` belongs to one of this call's client transactions.
    pub(super) fn on_response(&mut self, m: &Message<'_>, me: &Local, io: &mut Io) -> bool {
        let Some(branch) = m.via.branch() else { return false };
        let method = m.cseq.method;
        if self.invite.as_ref().is_some_and(|t| t.branch == branch) {
            if method == "INVITE" {
                self.on_invite_response(m, me, io);
                return true;
            }
            // The 200 for our CANCEL: the INVITE's 487 follows.
            return method == "CANCEL";
        }
        if let Some((b, ack)) = &self.accepted {
            if b == branch && method == "INVITE" {
                if m.status().is_some_and(|c| (200..300).contains(&c)) {
                    if m.to.tag() == Some(self.d.remote_tag.as_str()) {
                        io.send(ack.clone());
                    } else {
                        self.end_fork(m, me, io);
                    }
                }
                return true;
            }
        }
        let Some(i) = self.pending.iter().position(|t| t.branch == branch && t.method.as_str() == method)
        else {
            return false;
        };
        let code = m.status().unwrap_or(500);
        if code < 200 {
            return true;
        }
        let mut t = self.pending.remove(i);
        io.cancel(&mut t.timer);
        if let Some(mut auth) = (code == 401 || code == 407).then(|| Auth::accept(m, t.round)).flatten() {
            let line = auth.line(me, &mut io.rng, t.method, &self.d.target, &t.body);
            self.send_non_invite(me, io, t.method, t.body, line, t.round + 1);
        } else if code == 408 || code == 481 {
            // §12.2.1.2: the dialog is gone.
            self.end(io, EndedBy::Remote, Some(code), response_reason(m));
        }
        true
    }

    fn on_invite_response(&mut self, m: &Message<'_>, me: &Local, io: &mut Io) {
        let code = m.status().unwrap_or(500);
        let Some(tx) = self.invite.as_mut() else { return };
        if code < 200 {
            if !tx.provisional && tx.cancel == Cancel::No {
                io.cancel(&mut tx.timer); // Timer B only runs until the first response.
            }
            tx.provisional = true;
            if tx.cancel == Cancel::Wanted {
                Self::send_cancel(&self.d, tx, me, io);
            }
            if self.ended || code == 100 || tx.reoffer.is_some() {
                return;
            }
            if m.to.tag().is_some() {
                self.d.take_response(m);
            }
            self.state = CallState::Early;
            let sdp = (m.body_is(SDP) && self.remote_sdp.is_empty()).then(|| m.body.to_string());
            if let Some(s) = &sdp {
                self.remote_sdp = s.clone();
            }
            io.event(if code == 180 {
                Event::Ringing { call: self.id, sdp }
            } else {
                Event::Progress { call: self.id, code, sdp }
            });
            return;
        }
        let Some(mut tx) = self.invite.take() else { return };
        io.cancel(&mut tx.timer);
        if code < 300 {
            self.on_invite_accepted(m, tx, me, io);
            return;
        }
        // §17.1.1.3: the ACK of a failure is part of the INVITE transaction.
        io.send(me.render(&Req {
            method: Method::Ack,
            uri: &tx.uri,
            branch: &tx.branch,
            from: &self.d.local,
            to: m.header("To").unwrap_or(&tx.to),
            call_id: &self.d.call_id,
            cseq: tx.cseq,
            routes: &tx.routes,
            extra: "",
            content_type: "",
            body: "",
        }));
        if self.ended {
            return;
        }
        if let Some(mut auth) = (code == 401 || code == 407).then(|| Auth::accept(m, tx.round)).flatten() {
            let line = auth.line(me, &mut io.rng, Method::Invite, &tx.uri, &tx.sdp);
            self.send_invite(me, io, tx.reoffer, tx.sdp, tx.extra, line, tx.round + 1);
            return;
        }
        let reason = reason_text(m, response_reason(m));
        match tx.reoffer {
            None => self.end(io, EndedBy::Remote, Some(code), &reason),
            Some(reoffer) if code == 491 => {
                // §14.1: the Call-ID's owner waits 2.1–4 s, the other side 0–2 s.
                let delay = if self.outgoing { 2100 + io.rng.below(1900) } else { io.rng.below(2000) };
                if let Some(t) = io.timer(delay) {
                    self.glare = Some((t, reoffer, tx.sdp));
                }
            }
            Some(_) if code == 408 || code == 481 => {
                if code == 408 {
                    self.bye_and_end(me, io, EndedBy::Remote, code, &reason);
                } else {
                    self.end(io, EndedBy::Remote, Some(code), &reason);
                }
            }
            Some(reoffer) => io.event(Event::ReofferFailed { call: self.id, reoffer, code, reason }),
        }
    }

    fn on_invite_accepted(&mut self, m: &Message<'_>, tx: InviteTx, me: &Local, io: &mut Io) {
        if tx.reoffer.is_none() {
            self.d.take_response(m);
        } else if let Some(c) = m.contacts().next() {
            self.d.target = c.uri.into(); // §12.2.1.2 target refresh
        }
        // §13.2.2.4: a new transaction, the INVITE's CSeq number and credentials.
        let branch = io.branch();
        let ack = self.d.request(me, Method::Ack, &branch, tx.cseq, &tx.auth, "");
        io.send(ack.clone());
        self.accepted = Some((tx.branch, ack));
        if self.ended {
            // Hung up while the 2xx to the initial INVITE was on its way (the app already heard
            // `Ended`); after a re-INVITE the BYE is already out.
            if tx.reoffer.is_none() {
                self.send_non_invite(me, io, Method::Bye, String::new(), String::new(), 0);
            }
            return;
        }
        let sdp = if m.body_is(SDP) { m.body.to_string() } else { self.remote_sdp.clone() };
        self.remote_sdp = sdp.clone();
        match tx.reoffer {
            None => {
                self.state = CallState::Established;
                self.local_sdp = tx.sdp;
                io.event(Event::Answered { call: self.id, sdp });
            }
            Some(reoffer) => {
                self.local_sdp = tx.sdp;
                io.event(Event::ReofferAccepted { call: self.id, reoffer, sdp });
            }
        }
    }

    /// A 2xx from another fork after we accepted one: ACK it and hang that dialog up.
    fn end_fork(&self, m: &Message<'_>, me: &Local, io: &mut Io) {
        let mut fork = self.d.clone();
        fork.take_response(m);
        let (ack, bye) = (io.branch(), io.branch());
        io.send(fork.request(me, Method::Ack, &ack, m.cseq.seq, "", ""));
        io.send(fork.request(me, Method::Bye, &bye, m.cseq.seq.saturating_add(1), "", ""));
    }

    // ---- requests ----

    /// Whether `m` belongs to this call (dialog, or CANCEL of its INVITE).
    pub(super) fn on_request(&mut self, m: &Message<'_>, method: Method, me: &Local, io: &mut Io) -> bool {
        if m.call_id != self.d.call_id {
            return false;
        }
        if method == Method::Cancel {
            return self.on_cancel(m, io);
        }
        if method == Method::Invite && m.to.tag().is_none() {
            return self.on_repeated_invite(m, io);
        }
        if m.to.tag() != Some(self.d.local_tag.as_str())
            || m.from.tag().unwrap_or_default() != self.d.remote_tag
        {
            return false;
        }
        if method == Method::Ack {
            self.on_ack(m, me, io);
            return true;
        }
        let head = response_head(m, &self.d.local_tag);
        // §12.2.2: lower CSeq numbers are out of order.
        if self.d.remote_cseq != 0 && m.cseq.seq <= self.d.remote_cseq {
            io.send(response(500, &head, "", "", ""));
            return true;
        }
        self.d.remote_cseq = m.cseq.seq;
        match method {
            Method::Bye => {
                io.send(response(200, &head, "", "", ""));
                // §15.1.2: a BYE on an early dialog also ends its INVITE.
                if let Some(s) = self.server.as_mut().filter(|s| s.final_sent.is_none() && !s.reinvite) {
                    io.send(response(487, &s.head, "", "", ""));
                    s.final_sent = Some(false);
                    s.timer = io.timer(TRANSACTION_TIMEOUT_MS);
                }
                self.end(io, EndedBy::Remote, None, &reason_text(m, "BYE"));
            }
            Method::Invite => self.on_reinvite(m, head, me, io),
            Method::Info => {
                io.send(response(200, &head, "", "", ""));
                if let Some(digit) = info_digit(m).filter(|_| !self.ended) {
                    io.event(Event::Dtmf { call: self.id, digit });
                }
            }
            Method::Update if m.body.is_empty() => {
                let mut extra = String::new();
                me.dialog_headers(&mut extra);
                io.send(response(200, &head, &extra, "", ""));
            }
            Method::Update => io.send(response(488, &head, "", "", "")),
            Method::Options => {
                let mut extra = String::from("Allow: ");
                extra.push_str(super::ALLOW);
                extra.push_str("\r\nAccept: application/sdp\r\n");
                io.send(response(200, &head, &extra, "", ""));
            }
            _ => {
                let mut extra = String::from("Allow: ");
                extra.push_str(super::ALLOW);
                extra.push_str("\r\n");
                io.send(response(501, &head, &extra, "", ""));
            }
        }
        true
    }

    /// §9.2: a CANCEL matches the INVITE by its top Via branch.
    fn on_cancel(&mut self, m: &Message<'_>, io: &mut Io) -> bool {
        let Some(s) =
            self.server.as_mut().filter(|s| !s.reinvite && m.via.branch() == Some(s.branch.as_str()))
        else {
            return false;
        };
        io.send(response(200, &response_head(m, &self.d.local_tag), "", "", ""));
        if s.final_sent.is_none() {
            io.send(response(487, &s.head, "", "", ""));
            s.final_sent = Some(false);
            s.timer = io.timer(TRANSACTION_TIMEOUT_MS);
            self.end(io, EndedBy::Remote, Some(487), &reason_text(m, reason_phrase(487)));
        }
        true
    }

    /// An initial INVITE for a call we already have: a retransmission (same branch) is
    /// absorbed; the same request by another path is a merged request (§8.2.2.2): 482.
    fn on_repeated_invite(&mut self, m: &Message<'_>, io: &mut Io) -> bool {
        let same_request = !self.outgoing
            && m.from.tag().unwrap_or_default() == self.d.remote_tag
            && self.server.as_ref().is_some_and(|s| !s.reinvite && s.cseq == m.cseq.seq);
        if !same_request {
            return false;
        }
        if self.server.as_ref().is_some_and(|s| m.via.branch() != Some(s.branch.as_str())) {
            let tag = io.rng.token(10);
            io.send(response(482, &response_head(m, &tag), "", "", ""));
        }
        true
    }

    fn on_ack(&mut self, m: &Message<'_>, me: &Local, io: &mut Io) {
        let Some(mut s) = self.server.take_if(|s| s.cseq == m.cseq.seq && s.final_sent.is_some()) else {
            return;
        };
        io.cancel(&mut s.timer);
        if s.final_sent != Some(true) {
            return;
        }
        // A late offer's answer comes with the ACK (§13.2.1).
        let answer = (s.offer.is_empty() && m.body_is(SDP)).then(|| m.body.to_string());
        if let Some(a) = &answer {
            self.remote_sdp = a.clone();
        }
        if !s.reinvite && !self.ended {
            io.event(Event::Confirmed { call: self.id, sdp: answer });
        }
        if self.bye_after_ack {
            self.bye_after_ack = false;
            self.send_non_invite(me, io, Method::Bye, String::new(), String::new(), 0);
        }
    }

    fn on_reinvite(&mut self, m: &Message<'_>, head: String, me: &Local, io: &mut Io) {
        if self.ended || self.state != CallState::Established {
            io.send(response(if self.ended { 481 } else { 491 }, &head, "", "", ""));
            return;
        }
        // §14.2: glare with our own re-INVITE, or one of theirs still unanswered.
        if self.invite.is_some() {
            io.send(response(491, &head, "", "", ""));
            return;
        }
        if self.server.as_ref().is_some_and(|s| s.final_sent.is_none()) {
            let mut extra = String::from("Retry-After: ");
            msg::push_num(&mut extra, io.rng.below(10));
            extra.push_str("\r\n");
            io.send(response(500, &head, &extra, "", ""));
            return;
        }
        if !m.body.is_empty() && !m.body_is(SDP) {
            io.send(response(415, &head, "Accept: application/sdp\r\n", "", ""));
            return;
        }
        if let Some(c) = m.contacts().next() {
            self.d.target = c.uri.into(); // §12.2.2 target refresh
        }
        if let Some(mut old) = self.server.take() {
            io.cancel(&mut old.timer);
        }
        let offer = m.body;
        self.server = Some(ServerTx {
            branch: m.via.branch().unwrap_or_default().into(),
            cseq: m.cseq.seq,
            head,
            rr: String::new(),
            reinvite: true,
            offer: offer.into(),
            final_sent: None,
            timer: None,
        });
        // An offerless re-INVITE, or an offer with an unchanged version (a session refresh,
        // RFC 3264 §8), gets the current SDP without bothering the app.
        let unchanged = sdp::origin(offer).is_some() && sdp::origin(offer) == sdp::origin(&self.remote_sdp);
        if offer.is_empty() || unchanged {
            let current = self.local_sdp.clone();
            self.answer(me, io, current);
            return;
        }
        if let Some(s) = &self.server {
            io.send(response(100, &s.head, "", "", ""));
        }
        let hold = sdp::direction(offer).is_hold();
        let (call, sdp) = (self.id, offer.to_string());
        io.event(match (hold, self.remote_hold) {
            (true, false) => Event::RemoteHold { call, sdp },
            (false, true) => Event::RemoteResume { call, sdp },
            _ => Event::RemoteOffer { call, sdp },
        });
    }

    // ---- timers and the socket ----

    /// Whether `id` was one of this call's timers.
    pub(super) fn on_timer(&mut self, id: TimerId, me: &Local, io: &mut Io) -> bool {
        if self.invite.as_ref().is_some_and(|t| t.timer == Some(id)) {
            let Some(tx) = self.invite.take() else { return true };
            if self.ended || tx.cancel != Cancel::No {
                return true;
            }
            match tx.reoffer {
                None => self.end(io, EndedBy::Timeout, Some(408), reason_phrase(408)),
                Some(_) => self.bye_and_end(me, io, EndedBy::Timeout, 408, reason_phrase(408)),
            }
            return true;
        }
        if self.server.as_ref().is_some_and(|s| s.timer == Some(id)) {
            let Some(s) = self.server.take() else { return true };
            if s.final_sent == Some(true) {
                // Timer H: our 2xx was never ACKed; §13.3.1.4 says end the dialog.
                self.bye_after_ack = false;
                if self.ended {
                    self.send_non_invite(me, io, Method::Bye, String::new(), String::new(), 0);
                } else {
                    self.bye_and_end(me, io, EndedBy::Timeout, 408, "No ACK");
                }
            }
            return true;
        }
        if let Some(i) = self.pending.iter().position(|t| t.timer == Some(id)) {
            let t = self.pending.remove(i);
            if t.method == Method::Info {
                self.bye_and_end(me, io, EndedBy::Timeout, 408, reason_phrase(408));
            }
            return true;
        }
        if self.glare.as_ref().is_some_and(|g| g.0 == id) {
            if let Some((_, reoffer, sdp)) = self.glare.take() {
                self.reoffer(me, io, reoffer, sdp);
            }
            return true;
        }
        false
    }

    /// The socket closed: calls not yet established end; established ones keep their media
    /// (it flows outside the socket) and their dialog, but lose every pending transaction.
    pub(super) fn on_disconnected(&mut self, io: &mut Io) {
        if !self.ended && self.state != CallState::Established {
            self.end(io, EndedBy::Transport, Some(503), "Connection lost");
        }
        if let Some(mut tx) = self.invite.take() {
            io.cancel(&mut tx.timer);
            if let (Some(reoffer), false) = (tx.reoffer, self.ended) {
                io.event(Event::ReofferFailed {
                    call: self.id,
                    reoffer,
                    code: 503,
                    reason: "Connection lost".into(),
                });
            }
        }
        if let Some((t, reoffer, _)) = self.glare.take() {
            io.cancel(&mut Some(t));
            io.event(Event::ReofferFailed {
                call: self.id,
                reoffer,
                code: 503,
                reason: "Connection lost".into(),
            });
        }
        if let Some(mut s) = self.server.take() {
            io.cancel(&mut s.timer);
        }
        for mut t in self.pending.drain(..) {
            io.cancel(&mut t.timer);
        }
        self.bye_after_ack = false;
    }
}
