//! The attachment rules. Large values need not cross between JavaScript and the engine inside
//! the JSON text at all: byte values (no Base64) and long strings (no escaping, no JSON parsing)
//! travel beside the text as separate values ("attachments"), and the text holds a placeholder,
//! U+0000 + `#` + the attachment's index (`#` is not a Base64 character, so the two never mix).

use std::fmt::Write as _;

use bytes::Bytes;

use super::CodecError;

/// What follows U+0000 in a placeholder for an attachment.
pub const ATTACHMENT_MARK: char = '#';

/// Incoming byte values at least this long become attachments (when the caller takes them);
/// smaller ones stay inline, where Base64 is cheaper than a buffer of their own.
pub const ATTACH_MIN_LEN: usize = 1024;

/// The same for strings (in bytes of UTF-8): below it, escaping and parsing cost less than a
/// value of their own.
pub const ATTACH_MIN_TEXT_LEN: usize = 16 * 1024;

/// A value that travels beside the JSON text. Both kinds share their buffer when cloned, so
/// one received value can go out to many peers (the router's fan-out) without copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attachment {
    Bytes(Bytes),
    /// Always valid UTF-8.
    Text(Bytes),
}

impl Attachment {
    pub fn text(s: String) -> Attachment {
        Attachment::Text(Bytes::from(s.into_bytes()))
    }
}

impl From<&ReceivedValue> for Attachment {
    fn from(value: &ReceivedValue) -> Attachment {
        match value {
            ReceivedValue::Bytes(b) => Attachment::Bytes(b.clone()),
            ReceivedValue::Text(t) => Attachment::Text(t.clone()),
        }
    }
}

/// Attachments sent from JavaScript, by placeholder index. Each is taken once.
pub type Outgoing = Vec<Option<Attachment>>;

/// A value received beside the JSON text, for JavaScript: the bytes of a byte value, or the
/// UTF-8 of a string. It may share the received frame's buffer instead of being a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceivedValue {
    Bytes(Bytes),
    /// Always valid UTF-8.
    Text(Bytes),
}

impl ReceivedValue {
    /// (is it a string, its length in bytes), for `describe_attachments`.
    pub fn size(&self) -> (bool, usize) {
        match self {
            ReceivedValue::Bytes(b) => (false, b.len()),
            ReceivedValue::Text(t) => (true, t.len()),
        }
    }
}

impl Attachment {
    /// (is it a string, its length in bytes), for `describe_attachments`.
    pub fn size(&self) -> (bool, usize) {
        match self {
            Attachment::Bytes(b) => (false, b.len()),
            Attachment::Text(t) => (true, t.len()),
        }
    }
}

pub(super) fn take_attachment(
    index: &str,
    attachments: &mut Outgoing,
    codec: &'static str,
) -> Result<Attachment, CodecError> {
    index
        .parse::<usize>()
        .ok()
        .and_then(|i| attachments.get_mut(i))
        .and_then(Option::take)
        .ok_or_else(|| CodecError::MissingAttachment {
            codec,
            index: index.to_string(),
        })
}

pub(super) const PLACEHOLDER: &str = "\"\\u0000#";

/// `"\u0000#index"`, the placeholder of an attachment.
pub(super) fn push_placeholder(out: &mut String, index: usize) {
    out.push_str(PLACEHOLDER);
    // Formatting into a String cannot fail.
    let _ = write!(out, "{index}\"");
}

/// Where the placeholders in `json` are: (start of the index digits, end of them), for those that
/// open a string (a quote after a backslash is inside a string; an opening quote is not).
pub(super) fn placeholders(json: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let bytes = json.as_bytes();
    json.match_indices(PLACEHOLDER).filter_map(move |(at, _)| {
        if at > 0 && bytes[at - 1] == b'\\' {
            return None;
        }
        let start = at + PLACEHOLDER.len();
        let end = bytes[start..]
            .iter()
            .position(|b| !b.is_ascii_digit())
            .map_or(bytes.len(), |n| start + n);
        Some((start, end))
    })
}

/// `json` with each attachment index raised by `offset` (for events joining a batch whose
/// earlier events have attachments already).
pub fn renumber_attachments(json: &str, offset: usize) -> String {
    let mut out = String::with_capacity(json.len() + 8);
    let mut copied = 0;
    for (start, end) in placeholders(json) {
        let Ok(index) = json[start..end].parse::<usize>() else {
            continue;
        };
        out.push_str(&json[copied..start]);
        out.push_str(&(index + offset).to_string());
        copied = end;
    }
    out.push_str(&json[copied..]);
    out
}

/// `json` for a log line: each placeholder replaced by what it stands for, in brief
/// (`"<attached: 1048576 bytes>"`, `"<attached: string of 20000 bytes>"`).
pub fn describe_attachments(json: &str, sizes: impl Fn(usize) -> Option<(bool, usize)>) -> String {
    let mut out = String::with_capacity(json.len() + 16);
    let mut copied = 0;
    for (start, end) in placeholders(json) {
        let Some((text, len)) = json[start..end].parse::<usize>().ok().and_then(&sizes) else {
            continue;
        };
        // The placeholder's opening quote, and its closing one.
        out.push_str(&json[copied..start - PLACEHOLDER.len()]);
        let what = if text { "string of " } else { "" };
        let _ = write!(out, "\"<attached: {what}{len} bytes>\"");
        copied = end + 1;
    }
    out.push_str(json.get(copied..).unwrap_or_default());
    out
}

/// `part` of a received frame as a value of its own: sharing the frame's buffer when it is at
/// least half the frame, else a copy (a shared value keeps its whole frame alive for as long as
/// JavaScript holds it).
pub(super) fn share_or_copy(frame: &Bytes, part: &[u8]) -> Bytes {
    if part.len() * 2 >= frame.len() {
        frame.slice_ref(part)
    } else {
        Bytes::copy_from_slice(part)
    }
}

pub(super) fn attached_len(attachments: &Outgoing) -> usize {
    attachments
        .iter()
        .flatten()
        .map(|a| match a {
            Attachment::Bytes(b) => b.len(),
            Attachment::Text(t) => t.len(),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_show_what_a_placeholder_stands_for() {
        let json = r#"[70,1,{},["\u0000#0",{"s":"\u0000#1"},"\u0000#7"]]"#;
        let sizes = [(false, 1048576), (true, 20000)];
        assert_eq!(
            describe_attachments(json, |i| sizes.get(i).copied()),
            r#"[70,1,{},["<attached: 1048576 bytes>",{"s":"<attached: string of 20000 bytes>"},"\u0000#7"]]"#
        );
    }

    #[test]
    fn renumbering_moves_every_placeholder_index() {
        let json = r#"[36,1,2,{},["\u0000#0","a\"\u0000#0",{"x":"\u0000#12"}]]"#;
        assert_eq!(
            renumber_attachments(json, 5),
            r#"[36,1,2,{},["\u0000#5","a\"\u0000#0",{"x":"\u0000#17"}]]"#
        );
    }
}
