//! The little SDP handling the UA needs around the browser's RTCPeerConnection, which
//! writes and reads the real offers and answers.
//!
//! Covered: the media direction attribute (RFC 4566 §6, RFC 3264 §5.1/§8.4 hold): reading the
//! direction a peer asks for, rewriting it in an offer we send, and bumping the `o=` version
//! that every changed re-offer must carry (RFC 3264 §8). Not covered: the legacy RFC 2543
//! hold (`c=IN IP4 0.0.0.0`, never sent by WebRTC peers), codecs, ICE, anything else.

/// A media direction attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// `a=sendonly` etc.; `None` for other lines.
    fn from_line(line: &str) -> Option<Direction> {
        match line.strip_prefix("a=")?.trim_end() {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }

    /// Whether a peer offering this puts us on hold: it stops listening to us (sendonly) or
    /// stops the media entirely (inactive).
    pub fn is_hold(self) -> bool {
        matches!(self, Direction::SendOnly | Direction::Inactive)
    }
}

fn lines(sdp: &str) -> impl Iterator<Item = &str> {
    sdp.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).filter(|l| !l.is_empty())
}

/// The direction of the first audio section (else the first media section), falling back to
/// the session-level attribute and then to the default, sendrecv.
pub fn direction(sdp: &str) -> Direction {
    let (mut session, mut first, mut audio) = (None, None, None);
    let (mut sections, mut audio_seen, mut in_audio) = (0u32, false, false);
    for line in lines(sdp) {
        if let Some(m) = line.strip_prefix("m=") {
            sections += 1;
            in_audio = !audio_seen && m.starts_with("audio ");
            audio_seen |= in_audio;
        } else if let Some(d) = Direction::from_line(line) {
            match sections {
                0 => session = Some(d),
                1 => first = Some(d),
                _ => {}
            }
            if in_audio {
                audio = Some(d);
            }
        }
    }
    if audio_seen { audio } else { first }.or(session).unwrap_or(Direction::SendRecv)
}

/// `sdp` with every direction attribute replaced by one `a=<dir>` at the end of each media
/// section (a session-level one is dropped). Lines end in CRLF, as RFC 4566 §5 asks.
pub fn set_direction(sdp: &str, dir: Direction) -> String {
    let mut out = String::with_capacity(sdp.len() + 32);
    let mut in_media = false;
    let close = |out: &mut String, in_media: bool| {
        if in_media {
            out.push_str("a=");
            out.push_str(dir.as_str());
            out.push_str("\r\n");
        }
    };
    for line in lines(sdp) {
        if line.starts_with("m=") {
            close(&mut out, in_media);
            in_media = true;
        }
        if Direction::from_line(line).is_none() {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    close(&mut out, in_media);
    out
}

/// `sdp` with the `o=` sess-version incremented, for a re-offer built from an earlier one
/// (RFC 3264 §8: a changed offer must carry a higher version). Unchanged if `o=` is malformed.
pub fn bump_version(sdp: &str) -> String {
    let mut out = String::with_capacity(sdp.len() + 2);
    for line in lines(sdp) {
        let fields: Vec<&str> = line.strip_prefix("o=").map(|o| o.split(' ').collect()).unwrap_or_default();
        match fields.get(2).and_then(|v| v.parse::<u64>().ok()).filter(|_| fields.len() == 6) {
            Some(version) => {
                out.push_str("o=");
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    if i == 2 {
                        crate::msg::push_num(&mut out, version.wrapping_add(1));
                    } else {
                        out.push_str(f);
                    }
                }
            }
            None => out.push_str(line),
        }
        out.push_str("\r\n");
    }
    out
}

/// The `o=` line, which names a session version: an unchanged one means an unchanged offer.
pub(crate) fn origin(sdp: &str) -> Option<&str> {
    lines(sdp).find(|l| l.starts_with("o="))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
        a=group:BUNDLE 0\r\na=msid-semantic: WMS\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8\r\n\
        c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:kX4s\r\na=mid:0\r\na=sendrecv\r\n\
        a=rtpmap:111 opus/48000/2\r\n";

    #[test]
    fn reads_media_level_before_session_level() {
        assert_eq!(direction(OFFER), Direction::SendRecv);
        assert_eq!(direction(&OFFER.replace("a=sendrecv", "a=sendonly")), Direction::SendOnly);
        let session_only = "v=0\r\na=inactive\r\nm=audio 9 RTP/AVP 0\r\n";
        assert_eq!(direction(session_only), Direction::Inactive);
        let video_first =
            "v=0\r\nm=video 9 RTP/AVP 96\r\na=inactive\r\nm=audio 9 RTP/AVP 0\r\na=recvonly\r\n";
        assert_eq!(direction(video_first), Direction::RecvOnly);
        assert_eq!(direction("v=0\r\nm=video 9 RTP/AVP 96\r\na=sendonly\r\n"), Direction::SendOnly);
        assert_eq!(direction(""), Direction::SendRecv);
    }

    #[test]
    fn rewrites_direction_per_section() {
        let held = set_direction(OFFER, Direction::SendOnly);
        assert_eq!(direction(&held), Direction::SendOnly);
        assert!(!held.contains("sendrecv"));
        assert!(held.ends_with("a=rtpmap:111 opus/48000/2\r\na=sendonly\r\n"), "{held}");
        let two = set_direction(
            "v=0\na=sendrecv\nm=audio 1 RTP/AVP 0\nm=video 2 RTP/AVP 96\na=recvonly\n",
            Direction::Inactive,
        );
        assert_eq!(two, "v=0\r\nm=audio 1 RTP/AVP 0\r\na=inactive\r\nm=video 2 RTP/AVP 96\r\na=inactive\r\n");
        let resumed = set_direction(&held, Direction::SendRecv);
        assert_eq!(resumed.matches("a=sendrecv\r\n").count(), 1);
        assert_eq!(resumed.len(), OFFER.len());
    }

    #[test]
    fn bumps_origin_version() {
        let b = bump_version(OFFER);
        assert_eq!(origin(&b), Some("o=- 4611731400430051336 3 IN IP4 127.0.0.1"));
        assert_eq!(bump_version("o=broken\r\n"), "o=broken\r\n");
        assert!(Direction::Inactive.is_hold() && !Direction::RecvOnly.is_hold());
    }
}
