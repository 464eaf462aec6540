//! A small SSE reader over a `reqwest` response (tests and the load generator; browsers use
//! EventSource). Parses `id:`, `event:`, `data:`, `retry:` and `: comment` lines.

use futures_util::StreamExt;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
    pub retry: Option<u64>,
    pub comments: Vec<String>,
}

pub struct SseReader {
    body: futures_util::stream::BoxStream<'static, reqwest::Result<bytes_like::Bytes>>,
    buf: Vec<u8>,
}

mod bytes_like {
    pub type Bytes = axum::body::Bytes;
}

impl SseReader {
    pub fn new(resp: reqwest::Response) -> SseReader {
        SseReader { body: resp.bytes_stream().boxed(), buf: Vec::new() }
    }

    /// The next event (keep-alive comments alone are skipped); None at the end of the stream.
    pub async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(end) = find_blank_line(&self.buf) {
                let block: Vec<u8> = self.buf.drain(..end.1).collect();
                let ev = parse_block(&String::from_utf8_lossy(&block[..end.0]));
                if ev.id.is_some() || !ev.data.is_empty() || ev.retry.is_some() || !ev.event.is_empty() {
                    return Some(ev);
                }
                continue;
            }
            match self.body.next().await {
                Some(Ok(chunk)) => self.buf.extend_from_slice(&chunk),
                _ => return None,
            }
        }
    }
}

/// (end of block, end of separator) of the first `\n\n`.
fn find_blank_line(buf: &[u8]) -> Option<(usize, usize)> {
    buf.windows(2).position(|w| w == b"\n\n").map(|i| (i, i + 2))
}

fn parse_block(block: &str) -> SseEvent {
    let mut ev = SseEvent::default();
    let mut data: Vec<&str> = Vec::new();
    for line in block.split('\n') {
        if let Some(c) = line.strip_prefix(':') {
            ev.comments.push(c.trim().to_string());
            continue;
        }
        let (field, value) =
            line.split_once(':').map_or((line, ""), |(f, v)| (f, v.strip_prefix(' ').unwrap_or(v)));
        match field {
            "id" => ev.id = Some(value.to_string()),
            "event" => ev.event = value.to_string(),
            "data" => data.push(value),
            "retry" => ev.retry = value.parse().ok(),
            _ => {}
        }
    }
    ev.data = data.join("\n");
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_parse() {
        let ev = parse_block(": rx=5\nid: 3\nevent: huawei\ndata: {\"a\":1}");
        assert_eq!(ev.id.as_deref(), Some("3"));
        assert_eq!((ev.event.as_str(), ev.data.as_str()), ("huawei", "{\"a\":1}"));
        assert_eq!(ev.comments, vec!["rx=5".to_string()]);
        assert_eq!(parse_block("retry: 3000").retry, Some(3000));
    }
}
