//! Input checks done before a request is sent, so the agent sees the problem inline.

/// CC-Gateway work numbers: 101–59999 (cc-gateway.md §1, seed pages).
pub fn agent_id(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.len() <= 5
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.parse::<u32>().is_ok_and(|n| (101..=59999).contains(&n))
}

/// The phone the agent is bound to: 1–24 digits.
pub fn phone_number(s: &str) -> bool {
    let s = s.trim();
    (1..=24).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// A number to call out: 1–24 of digits, `*` and `#` (callout `called`).
pub fn dial_number(s: &str) -> bool {
    let s = s.trim();
    (1..=24).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
}

/// DTMF digits for `seconddialex`: the same alphabet and length.
pub fn dtmf(s: &str) -> bool {
    dial_number(s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn agent_ids() {
        for ok in ["101", "59999", " 1001 "] {
            assert!(super::agent_id(ok), "{ok}");
        }
        for bad in ["", "100", "60000", "abc", "1e3", "-101", "000101"] {
            assert!(!super::agent_id(bad), "{bad}");
        }
    }

    #[test]
    fn numbers() {
        assert!(super::dial_number("*86#013800000000"));
        assert!(!super::dial_number("0123456789012345678901234"));
        assert!(!super::dial_number("12a"));
        assert!(super::phone_number("70001"));
        assert!(!super::phone_number("7000-1"));
    }
}
