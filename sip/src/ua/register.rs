//! REGISTER (RFC 3261 §10) with RFC 5626 outbound Contact parameters.

use super::{Auth, Event, Io, Local, Req, TimerId, TRANSACTION_TIMEOUT_MS};
use crate::hdr;
use crate::msg::{self, Message, Method};
use crate::rng::Rng;

#[derive(Debug)]
pub(super) struct Registration {
    pub(super) registered: bool,
    /// The app wants to be registered: refresh, and register again on reconnect.
    want: bool,
    /// One Call-ID and From tag for every REGISTER to this registrar (§10.2.4: refreshes
    /// should use the same Call-ID, with CSeq incremented).
    call_id: String,
    from: String,
    cseq: u32,
    /// The lifetime asked for; raised by a 423's Min-Expires.
    expires: u32,
    tx: Option<Tx>,
    refresh: Option<TimerId>,
    /// The last challenge, answered again pre-emptively on refreshes.
    auth: Option<Auth>,
}

#[derive(Debug)]
struct Tx {
    branch: String,
    unregister: bool,
    /// How many challenges this request already answered (see `Auth::accept`).
    round: u8,
    timer: Option<TimerId>,
}

/// When to refresh a binding of `expires` seconds: 10% before expiry, at least 30 s before,
/// but never later than half-way.
pub(super) fn refresh_delay_ms(expires: u32) -> u64 {
    let margin = (expires / 10).max(30).min(expires / 2);
    u64::from(expires - margin) * 1000
}

impl Registration {
    pub(super) fn new(me: &Local, rng: &mut Rng) -> Registration {
        let mut from = me.from.clone();
        from.push_str(";tag=");
        from.push_str(&rng.token(10));
        Registration {
            registered: false,
            want: false,
            call_id: rng.token(22),
            from,
            cseq: 0,
            expires: me.cfg.expires,
            tx: None,
            refresh: None,
            auth: None,
        }
    }

    pub(super) fn register(&mut self, me: &Local, io: &mut Io) {
        self.want = true;
        if io.connected {
            self.send(me, io, false, 0);
        }
    }

    pub(super) fn unregister(&mut self, me: &Local, io: &mut Io) {
        self.want = false;
        io.cancel(&mut self.refresh);
        let bound = self.registered || self.tx.as_ref().is_some_and(|t| !t.unregister);
        if io.connected && bound {
            self.send(me, io, true, 0);
        } else {
            self.drop_tx(io);
            self.registered = false;
            io.event(Event::Unregistered);
        }
    }

    pub(super) fn on_connected(&mut self, me: &Local, io: &mut Io) {
        if self.want {
            self.send(me, io, false, 0);
        }
    }

    pub(super) fn on_disconnected(&mut self, io: &mut Io) {
        io.cancel(&mut self.refresh);
        let was_unregistering = self.tx.as_ref().is_some_and(|t| t.unregister);
        let was_up = self.registered || self.tx.is_some();
        self.drop_tx(io);
        self.registered = false;
        if was_unregistering {
            io.event(Event::Unregistered);
        } else if was_up && self.want {
            io.event(Event::RegistrationFailed { code: 503, reason: "Connection lost".into() });
        }
    }

    /// Whether `id` was one of the registration's timers.
    pub(super) fn on_timer(&mut self, id: TimerId, me: &Local, io: &mut Io) -> bool {
        if self.refresh == Some(id) {
            self.refresh = None;
            if self.want && io.connected {
                self.send(me, io, false, 0);
            }
            return true;
        }
        if self.tx.as_ref().is_some_and(|t| t.timer == Some(id)) {
            let tx = self.tx.take();
            self.fail(io, tx.is_some_and(|t| t.unregister), 408, "Request Timeout");
            return true;
        }
        false
    }

    /// Whether `m` answered our REGISTER.
    pub(super) fn on_response(&mut self, m: &Message<'_>, me: &Local, io: &mut Io) -> bool {
        let ours = self.tx.as_ref().is_some_and(|t| m.via.branch() == Some(&t.branch));
        if !ours || m.cseq.method != "REGISTER" {
            return false;
        }
        let code = m.status().unwrap_or(500);
        if code < 200 {
            return true;
        }
        let Some(mut tx) = self.tx.take() else { return true };
        io.cancel(&mut tx.timer);
        if (200..300).contains(&code) {
            if tx.unregister {
                self.registered = false;
                io.event(Event::Unregistered);
            } else {
                let expires = self.granted(m, me);
                self.registered = true;
                io.cancel(&mut self.refresh);
                self.refresh = io.timer(refresh_delay_ms(expires));
                io.event(Event::Registered { expires });
            }
        } else if let Some(auth) = (code == 401 || code == 407).then(|| Auth::accept(m, tx.round)).flatten() {
            self.auth = Some(auth);
            self.send(me, io, tx.unregister, tx.round + 1);
        } else if let Some(min) =
            m.header("Min-Expires").and_then(hdr::parse_u32).filter(|&n| code == 423 && n > self.expires)
        {
            self.expires = min;
            self.send(me, io, tx.unregister, tx.round);
        } else {
            let reason = match m.start {
                msg::StartLine::Response { reason, .. } => reason,
                msg::StartLine::Request { .. } => "",
            };
            self.fail(io, tx.unregister, code, reason);
        }
        true
    }

    /// The lifetime the registrar granted our binding: its `expires` parameter on our Contact
    /// (found by instance or by our random user part), else the Expires header, else what we
    /// asked for.
    fn granted(&self, m: &Message<'_>, me: &Local) -> u32 {
        let user = hdr::uri_user(&me.contact_uri);
        m.contacts()
            .find(|c| {
                c.param("+sip.instance").is_some_and(|i| i.trim_matches(['<', '>']) == me.instance)
                    || hdr::uri_user(c.uri) == user
            })
            .and_then(|c| c.param("expires").and_then(hdr::parse_u32))
            .or_else(|| m.expires())
            .filter(|&e| e > 0)
            .unwrap_or(self.expires)
    }

    fn fail(&mut self, io: &mut Io, unregister: bool, code: u16, reason: &str) {
        self.registered = false;
        io.cancel(&mut self.refresh);
        io.event(if unregister {
            // The app asked to go away; a binding the registrar kept lapses on its own.
            Event::Unregistered
        } else {
            Event::RegistrationFailed { code, reason: reason.into() }
        });
    }

    fn drop_tx(&mut self, io: &mut Io) {
        if let Some(mut tx) = self.tx.take() {
            io.cancel(&mut tx.timer);
        }
    }

    fn send(&mut self, me: &Local, io: &mut Io, unregister: bool, round: u8) {
        self.drop_tx(io);
        self.cseq += 1;
        let branch = io.branch();
        let expires = if unregister { 0 } else { self.expires };
        let mut extra = String::with_capacity(300);
        extra.push_str("Contact: <");
        extra.push_str(&me.contact_uri);
        extra.push_str(">;+sip.ice;reg-id=1;+sip.instance=\"<");
        extra.push_str(&me.instance);
        extra.push_str(">\";expires=");
        msg::push_num(&mut extra, expires.into());
        extra.push_str("\r\nExpires: ");
        msg::push_num(&mut extra, expires.into());
        extra.push_str("\r\nAllow: ");
        extra.push_str(super::ALLOW);
        extra.push_str("\r\nSupported: path, outbound\r\n");
        for (name, value) in &me.cfg.register_headers {
            let name: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
            if !name.is_empty() {
                msg::header(&mut extra, &name, &super::header_safe(value));
            }
        }
        if let Some(a) = &mut self.auth {
            extra.push_str(&a.line(me, &mut io.rng, Method::Register, &me.registrar, ""));
        }
        let mut to = String::from("<");
        to.push_str(&me.cfg.aor);
        to.push('>');
        let frame = me.render(&Req {
            method: Method::Register,
            uri: &me.registrar,
            branch: &branch,
            from: &self.from,
            to: &to,
            call_id: &self.call_id,
            cseq: self.cseq,
            routes: &me.proxy_routes,
            extra: &extra,
            content_type: "",
            body: "",
        });
        io.send(frame);
        let timer = io.timer(TRANSACTION_TIMEOUT_MS);
        self.tx = Some(Tx { branch, unregister, round, timer });
    }
}

#[cfg(test)]
mod tests {
    use super::refresh_delay_ms;

    #[test]
    fn refresh_margins() {
        assert_eq!(refresh_delay_ms(600), 540_000);
        assert_eq!(refresh_delay_ms(3600), 3_240_000);
        assert_eq!(refresh_delay_ms(60), 30_000);
        assert_eq!(refresh_delay_ms(20), 10_000);
        assert_eq!(refresh_delay_ms(1), 1_000);
    }
}
