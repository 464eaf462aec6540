//! Keyboard shortcuts: which key combination does what. Pure, so parsing and matching are
//! tested on the host; the view listens for keys and shows the combinations in tooltips.

/// What a shortcut does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shortcut {
    Answer,
    Reject,
    HangUp,
    Hold,
    Transfer,
    Ready,
    Busy,
}

impl Shortcut {
    pub const ALL: [Shortcut; 7] = [
        Shortcut::Answer,
        Shortcut::Reject,
        Shortcut::HangUp,
        Shortcut::Hold,
        Shortcut::Transfer,
        Shortcut::Ready,
        Shortcut::Busy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Shortcut::Answer => "answer",
            Shortcut::Reject => "reject",
            Shortcut::HangUp => "hangup",
            Shortcut::Hold => "hold",
            Shortcut::Transfer => "transfer",
            Shortcut::Ready => "ready",
            Shortcut::Busy => "busy",
        }
    }
}

/// A key combination such as `Alt+A` or `Ctrl+Shift+F2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Combo {
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
    pub meta: bool,
    /// `KeyboardEvent.code` for letters and digits (`KeyA`, `Digit1`) so the layout and Alt's
    /// dead keys on macOS do not matter; the key name otherwise (`F2`, `Escape`).
    pub code: String,
}

impl Combo {
    pub fn parse(text: &str) -> Option<Combo> {
        let mut c = Combo { ctrl: false, alt: false, shift: false, meta: false, code: String::new() };
        for part in text.split('+').map(str::trim) {
            match part.to_ascii_lowercase().as_str() {
                "ctrl" | "control" => c.ctrl = true,
                "alt" | "option" => c.alt = true,
                "shift" => c.shift = true,
                "meta" | "cmd" | "super" => c.meta = true,
                "" => return None,
                _ if !c.code.is_empty() => return None,
                _ => {
                    c.code = match part.len() {
                        1 if part.as_bytes()[0].is_ascii_alphabetic() => {
                            format!("Key{}", part.to_ascii_uppercase())
                        }
                        1 if part.as_bytes()[0].is_ascii_digit() => format!("Digit{part}"),
                        _ => part.to_string(),
                    }
                }
            }
        }
        (!c.code.is_empty()).then_some(c)
    }

    /// As shown in tooltips and `aria-keyshortcuts`.
    pub fn label(&self) -> String {
        let key =
            self.code.strip_prefix("Key").or_else(|| self.code.strip_prefix("Digit")).unwrap_or(&self.code);
        let mut parts = Vec::new();
        if self.ctrl {
            parts.push("Control");
        }
        if self.alt {
            parts.push("Alt");
        }
        if self.shift {
            parts.push("Shift");
        }
        if self.meta {
            parts.push("Meta");
        }
        parts.push(key);
        parts.join("+")
    }

    /// Whether a key event (its `code`, `key` and modifiers) is this combination.
    pub fn matches(&self, code: &str, key: &str, ctrl: bool, alt: bool, shift: bool, meta: bool) -> bool {
        (self.ctrl, self.alt, self.shift, self.meta) == (ctrl, alt, shift, meta)
            && (self.code == code || self.code.eq_ignore_ascii_case(key))
    }
}

/// The shortcut table: defaults, overridden by `keys=answer:Alt+A;hangup:Ctrl+Shift+H`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap(pub Vec<(Shortcut, Combo)>);

impl Default for Keymap {
    fn default() -> Self {
        let d = |s, text| (s, Combo::parse(text).expect("default shortcut"));
        Keymap(vec![
            d(Shortcut::Answer, "Alt+A"),
            d(Shortcut::Reject, "Alt+J"),
            d(Shortcut::HangUp, "Alt+H"),
            d(Shortcut::Hold, "Alt+D"),
            d(Shortcut::Transfer, "Alt+T"),
            d(Shortcut::Ready, "Alt+R"),
            d(Shortcut::Busy, "Alt+B"),
        ])
    }
}

impl Keymap {
    pub fn with_overrides(mut self, spec: &str) -> Keymap {
        for item in spec.split(';') {
            let Some((name, combo)) = item.split_once(':') else { continue };
            let (Some(s), Some(c)) =
                (Shortcut::ALL.into_iter().find(|s| s.name() == name.trim()), Combo::parse(combo))
            else {
                continue;
            };
            self.0.retain(|(x, _)| *x != s);
            self.0.push((s, c));
        }
        self
    }

    pub fn combo(&self, s: Shortcut) -> Option<&Combo> {
        self.0.iter().find(|(x, _)| *x == s).map(|(_, c)| c)
    }

    pub fn find(
        &self,
        code: &str,
        key: &str,
        ctrl: bool,
        alt: bool,
        shift: bool,
        meta: bool,
    ) -> Option<Shortcut> {
        self.0.iter().find(|(_, c)| c.matches(code, key, ctrl, alt, shift, meta)).map(|(s, _)| *s)
    }
}

/// What a shortcut does in the current session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShortcutOutcome {
    Send(crate::core::step::Intent),
    /// Reject and transfer need a choice: their dialog opens.
    OpenDialog(Shortcut),
    /// Not allowed now.
    Nothing,
}

/// Decides what a shortcut does, from what the session allows.
pub fn outcome(s: Shortcut, session: &crate::core::Session) -> ShortcutOutcome {
    use crate::core::actions::{allowed_actions, Action};
    use crate::core::step::Intent;
    let allowed = allowed_actions(session);
    let active = || session.active().map(|c| c.id.clone());
    let send = |a: Action, intent: Option<Intent>| match intent {
        Some(i) if allowed.contains(a) => ShortcutOutcome::Send(i),
        _ => ShortcutOutcome::Nothing,
    };
    match s {
        Shortcut::Answer => {
            send(Action::Answer, session.ringing().map(|c| Intent::Answer { call_id: c.id.clone() }))
        }
        Shortcut::HangUp => send(Action::HangUp, active().map(|call_id| Intent::HangUp { call_id })),
        Shortcut::Hold => send(Action::Hold, active().map(|call_id| Intent::Hold { call_id })),
        Shortcut::Ready => send(Action::Ready, Some(Intent::Ready)),
        Shortcut::Busy => send(Action::Busy, Some(Intent::Busy { reason: None })),
        Shortcut::Reject | Shortcut::Transfer => ShortcutOutcome::OpenDialog(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_act_only_when_allowed() {
        use crate::core::event::{CallOffer, Event};
        use crate::core::model::AgentState;
        use crate::core::step::{step, Input, Intent};
        let mut s = crate::core::Session { agent: AgentState::Idle, ..Default::default() };
        assert_eq!(outcome(Shortcut::Answer, &s), ShortcutOutcome::Nothing);
        assert_eq!(outcome(Shortcut::Busy, &s), ShortcutOutcome::Send(Intent::Busy { reason: None }));
        let offer = CallOffer { call_id: "c1".into(), ..Default::default() };
        step(&mut s, Input::Event(Event::Ringing(offer)), 1);
        assert_eq!(
            outcome(Shortcut::Answer, &s),
            ShortcutOutcome::Send(Intent::Answer { call_id: "c1".into() })
        );
        assert_eq!(outcome(Shortcut::Busy, &s), ShortcutOutcome::Nothing, "no state change while ringing");
        assert_eq!(outcome(Shortcut::Reject, &s), ShortcutOutcome::OpenDialog(Shortcut::Reject));
    }

    #[test]
    fn parse_label_and_match() {
        let c = Combo::parse("ctrl+shift+h").unwrap();
        assert_eq!(c.label(), "Control+Shift+H");
        assert!(c.matches("KeyH", "H", true, false, true, false));
        assert!(!c.matches("KeyH", "h", true, false, false, false));
        let f2 = Combo::parse("F2").unwrap();
        assert!(f2.matches("F2", "F2", false, false, false, false));
        assert_eq!(Combo::parse("Alt+"), None);
        assert_eq!(Combo::parse("A+B"), None);
    }

    #[test]
    fn defaults_and_overrides() {
        let k = Keymap::default().with_overrides("answer:F2; bogus:Alt+X; hangup:");
        assert_eq!(k.find("F2", "F2", false, false, false, false), Some(Shortcut::Answer));
        assert_eq!(k.find("KeyA", "a", false, true, false, false), None, "Alt+A no longer answers");
        assert_eq!(k.find("KeyH", "h", false, true, false, false), Some(Shortcut::HangUp));
        // Every shortcut has a combination, and no two share one.
        for s in Shortcut::ALL {
            assert!(k.combo(s).is_some(), "{s:?}");
        }
        let labels: std::collections::HashSet<_> = k.0.iter().map(|(_, c)| c.label()).collect();
        assert_eq!(labels.len(), k.0.len());
    }
}
