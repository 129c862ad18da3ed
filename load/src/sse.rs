//! An incremental parser of `text/event-stream` bodies.

/// One item of an event stream.
#[derive(Debug, PartialEq)]
pub enum SseItem {
    /// A comment line such as `: keep-alive`.
    Comment,
    /// An event: its type (`message` when absent) and its data lines joined by `\n`.
    Event { event: String, data: String },
}

/// Splits bytes as they arrive into comments and events.
#[derive(Default)]
pub struct SseParser {
    buf: Vec<u8>,
}

impl SseParser {
    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete item, if one has arrived.
    pub fn next_item(&mut self) -> Option<SseItem> {
        loop {
            let (end, sep) = find_blank_line(&self.buf)?;
            let block: Vec<u8> = self.buf.drain(..end + sep).take(end).collect();
            let text = String::from_utf8_lossy(&block);
            if let Some(item) = parse_block(&text) {
                return Some(item);
            }
        }
    }
}

/// The end of the first block and the length of the separator after it.
fn find_blank_line(buf: &[u8]) -> Option<(usize, usize)> {
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2));
    let crlf = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| (p, 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

fn parse_block(text: &str) -> Option<SseItem> {
    let mut event = None;
    let mut data: Vec<&str> = Vec::new();
    let mut comment = false;
    for line in text.lines() {
        if line.starts_with(':') {
            comment = true;
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => event = Some(value.to_string()),
            "data" => data.push(value),
            _ => {}
        }
    }
    if event.is_none() && data.is_empty() {
        return comment.then_some(SseItem::Comment);
    }
    Some(SseItem::Event {
        event: event.unwrap_or_else(|| "message".into()),
        data: data.join("\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_comments_and_events_across_pushes() {
        let mut p = SseParser::default();
        p.push(b": keep-alive\n\nevent: endpoint\ndata: /messages?sessionId=a");
        assert_eq!(p.next_item(), Some(SseItem::Comment));
        assert_eq!(p.next_item(), None);
        p.push(b"\n\ndata: {\"a\":1}\r\n\r\n");
        assert_eq!(
            p.next_item(),
            Some(SseItem::Event {
                event: "endpoint".into(),
                data: "/messages?sessionId=a".into()
            })
        );
        assert_eq!(
            p.next_item(),
            Some(SseItem::Event {
                event: "message".into(),
                data: "{\"a\":1}".into()
            })
        );
        assert_eq!(p.next_item(), None);
    }
}
