//! The only source of randomness: a seedable xorshift64* generator.
//!
//! Tags, branches, Call-IDs and cnonces must be unique, not secret (RFC 3261 §19.3 asks for
//! "globally unique" and "cryptographically random" tags only to make guessing dialogs hard;
//! the app seeds this from `crypto.getRandomValues`). A fixed seed makes every test
//! deterministic.

/// xorshift64* (Vigna, 2016): 64 bits of state, good enough equidistribution for tokens.
#[derive(Debug, Clone)]
pub struct Rng(u64);

const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

impl Rng {
    /// A generator from `seed`; a zero seed (xorshift's fixed point) is replaced.
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 { 0x9E37_79B9_7F4A_7C15 } else { seed })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`); the modulo bias is irrelevant for delays and tokens.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// `len` characters of `[a-z0-9]`: valid in tokens, URI user parts and host labels.
    pub fn token(&mut self, len: usize) -> String {
        (0..len).map(|_| ALPHABET[self.below(36) as usize] as char).collect()
    }

    /// A random (version 4) UUID, for `+sip.instance` when the app has none to persist.
    pub fn uuid(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        let a = (a & !0xF000) | 0x4000;
        let b = (b & !(0xC << 60)) | (0x8 << 60);
        let mut hex = String::with_capacity(36);
        for (i, byte) in a.to_be_bytes().iter().chain(b.to_be_bytes().iter()).enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                hex.push('-');
            }
            crate::msg::push_hex(&mut hex, &[*byte]);
        }
        hex
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_deterministic_and_in_alphabet() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let t = a.token(20);
        assert_eq!(t, b.token(20));
        assert!(t.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_ne!(t, a.token(20));
    }

    #[test]
    fn uuid_is_version_4() {
        let u = Rng::new(1).uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        assert_eq!(u.matches('-').count(), 4);
    }

    #[test]
    fn zero_seed_still_moves() {
        let mut r = Rng::new(0);
        assert_ne!(r.next_u64(), r.next_u64());
    }
}
