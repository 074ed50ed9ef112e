//! JSON, the engine's own form: the writer of JSON text that the binary decoders share, the
//! attachments put back inline for the JSON wire, and the large values taken out of received
//! JSON text.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use bytes::Bytes;
use serde_json::Value as Json;

use super::attachments::{
    placeholders, push_placeholder, share_or_copy, take_attachment, Attachment, Outgoing,
    ReceivedValue, ATTACH_MIN_LEN, ATTACH_MIN_TEXT_LEN, PLACEHOLDER,
};
use super::markers::{attached_str, push_base64, push_quoted, BIGINT_MARK, BYTES_MARK};
use super::{encode_err, CodecError, MAX_NESTING};

/// The JSON text being written from a decoded message, and where large byte values go when the
/// caller takes them as attachments.
pub(super) struct JsonOut<'a> {
    pub(super) text: String,
    pub(super) attachments: Option<&'a mut Vec<ReceivedValue>>,
}

impl JsonOut<'_> {
    /// Writes a placeholder for `value` and keeps it (when this writer takes attachments).
    pub(super) fn attach(&mut self, value: ReceivedValue) {
        if let Some(attachments) = self.attachments.as_mut() {
            push_placeholder(&mut self.text, attachments.len());
            attachments.push(value);
        }
    }

    pub(super) fn attaches_bytes(&self, b: &[u8]) -> bool {
        self.attachments.is_some() && b.len() >= ATTACH_MIN_LEN
    }

    /// Whether a string of this length goes beside the text. Strings starting with a mark stay
    /// inline, where JavaScript reads them as what they stand for, as it always has.
    pub(super) fn attaches_text(&self, s: &str) -> bool {
        self.attachments.is_some()
            && s.len() >= ATTACH_MIN_TEXT_LEN
            && !s.starts_with([BYTES_MARK, BIGINT_MARK])
    }

    pub(super) fn push_text(&mut self, s: &mut String) {
        if self.attaches_text(s) {
            self.attach(ReceivedValue::Text(Bytes::from(std::mem::take(s))));
        } else {
            push_quoted(&mut self.text, s);
        }
    }
}

pub(super) fn push_bytes(w: &mut JsonOut, b: &mut Vec<u8>) {
    if w.attaches_bytes(b) {
        w.attach(ReceivedValue::Bytes(Bytes::from(std::mem::take(b))));
    } else {
        push_base64(&mut w.text, b);
    }
}

pub(super) type ToJson<T> = fn(&mut T, &mut JsonOut) -> Result<(), CodecError>;

/// The JSON text of a decoded message (`wire_len`: the size of its encoding, a capacity hint).
pub(super) fn to_json_text<T>(
    value: &mut T,
    wire_len: usize,
    attachments: Option<&mut Vec<ReceivedValue>>,
    to_json: ToJson<T>,
) -> Result<String, CodecError> {
    let mut w = JsonOut {
        text: String::with_capacity(wire_len + 16),
        attachments,
    };
    to_json(value, &mut w)?;
    Ok(w.text)
}

/// `open`, the `n` items `item(i, w)` writes separated by commas, `close`.
pub(super) fn push_seq(
    w: &mut JsonOut,
    (open, close): (char, char),
    n: usize,
    mut item: impl FnMut(usize, &mut JsonOut) -> Result<(), CodecError>,
) -> Result<(), CodecError> {
    w.text.push(open);
    for i in 0..n {
        if i > 0 {
            w.text.push(',');
        }
        item(i, w)?;
    }
    w.text.push(close);
    Ok(())
}

pub(super) fn push_list<T>(
    w: &mut JsonOut,
    items: &mut [T],
    item: ToJson<T>,
) -> Result<(), CodecError> {
    push_seq(w, ('[', ']'), items.len(), |i, w| item(&mut items[i], w))
}

pub(super) fn push_map<T>(
    w: &mut JsonOut,
    entries: &mut [(T, T)],
    mut key: impl FnMut(&mut T, &mut JsonOut) -> Result<(), CodecError>,
    value: ToJson<T>,
) -> Result<(), CodecError> {
    push_seq(w, ('{', '}'), entries.len(), |i, w| {
        let (k, v) = &mut entries[i];
        key(k, w)?;
        w.text.push(':');
        value(v, w)
    })
}

/// WAMP dicts have string keys; a key of another type becomes the string of its JSON text
/// rather than failing the message.
pub(super) fn push_key_of<T>(
    key: &mut T,
    w: &mut JsonOut,
    to_json: ToJson<T>,
) -> Result<(), CodecError> {
    let mut inner = JsonOut {
        text: String::new(),
        attachments: None,
    };
    to_json(key, &mut inner)?;
    push_quoted(&mut w.text, &inner.text);
    Ok(())
}

/// Under JSON the attachments go inline again: bytes as the WAMP convention's Base64 strings,
/// strings escaped.
pub fn inline_attachments(json: String, attachments: &mut Outgoing) -> Result<String, CodecError> {
    if attachments.is_empty() {
        return Ok(json);
    }
    let extra: usize = attachments
        .iter()
        .map(|a| match a {
            Some(Attachment::Bytes(b)) => b.len().div_ceil(3) * 4,
            Some(Attachment::Text(t)) => t.len() + 2,
            None => 0,
        })
        .sum();
    let mut out = String::with_capacity(json.len() + extra);
    let mut copied = 0;
    for (start, end) in placeholders(&json) {
        if json.as_bytes().get(end) != Some(&b'"') {
            return Err(encode_err("json", "a malformed attachment placeholder"));
        }
        match take_attachment(&json[start..end], attachments, "json")? {
            Attachment::Bytes(bytes) => {
                // Keep `"\u0000`, drop `#` and the index.
                out.push_str(&json[copied..start - 1]);
                BASE64.encode_string(&bytes, &mut out);
                copied = end;
            }
            Attachment::Text(text) => {
                // The whole placeholder, quotes included, becomes the string.
                out.push_str(&json[copied..start - PLACEHOLDER.len()]);
                push_quoted(&mut out, attached_str(&text, "json")?);
                copied = end + 1;
            }
        }
    }
    out.push_str(&json[copied..]);
    Ok(out)
}

/// Where a string value of a received JSON text is (offsets of its quotes), and what it is.
pub(super) struct LargeValue {
    open: usize,
    close: usize,
    value: Found,
}

pub(super) enum Found {
    /// A string without escapes: its text is the bytes between the quotes.
    Raw,
    /// A string with escapes, or bytes, decoded.
    Decoded(ReceivedValue),
}

/// A received JSON text with its large values taken out as attachments, as MessagePack's are:
/// strings of `ATTACH_MIN_TEXT_LEN` bytes or more, and byte values (U+0000 + Base64) of
/// `ATTACH_MIN_LEN` bytes or more. JavaScript then parses a small text instead of escaping and
/// Base64 it would have to read through. Texts shorter than `ATTACH_MIN_TEXT_LEN` are returned as
/// they are, unread; so is a text that is not well-formed (the session reports that).
///
/// Only the strings are looked at: the rest of the text is copied as it is. A long string without
/// escapes that is at least half of the text shares the text's buffer.
pub fn json_take_large_values(text: String, attachments: &mut Vec<ReceivedValue>) -> String {
    if text.len() < ATTACH_MIN_TEXT_LEN {
        return text;
    }
    let found = large_json_values(text.as_bytes());
    if found.is_empty() {
        return text;
    }
    let mut out = String::with_capacity(
        text.len() - found.iter().map(|v| v.close - v.open).sum::<usize>() + 16 * found.len(),
    );
    let mut copied = 0;
    for (n, v) in found.iter().enumerate() {
        // Every cut is at an ASCII quote.
        out.push_str(&text[copied..v.open]);
        push_placeholder(&mut out, attachments.len() + n);
        copied = v.close + 1;
    }
    out.push_str(&text[copied..]);
    let frame = Bytes::from(text);
    attachments.extend(found.into_iter().map(|v| match v.value {
        Found::Raw => ReceivedValue::Text(share_or_copy(&frame, &frame[v.open + 1..v.close])),
        Found::Decoded(value) => value,
    }));
    out
}

/// The large string values of a JSON text, in order (an empty list for a text that is not
/// well-formed).
pub(super) fn large_json_values(src: &[u8]) -> Vec<LargeValue> {
    let mut found = Vec::new();
    let mut pos = 0;
    while let Some(q) = memchr::memchr(b'"', &src[pos..]) {
        let open = pos + q;
        let mut at = open + 1;
        let mut escaped = false;
        let close = loop {
            match memchr::memchr2(b'"', b'\\', src.get(at..).unwrap_or_default()) {
                None => return Vec::new(),
                Some(k) if src[at + k] == b'\\' => {
                    escaped = true;
                    at += k + 2;
                }
                Some(k) => break at + k,
            }
        };
        pos = close + 1;
        let raw = &src[open + 1..close];
        if raw.len() < ATTACH_MIN_LEN {
            continue;
        }
        // A key (followed by a colon) stays: JavaScript reads keys as they are.
        let next = src[pos..].iter().find(|b| !b" \t\r\n".contains(b));
        if next == Some(&b':') {
            continue;
        }
        if let Some(b64) = raw.strip_prefix(b"\\u0000") {
            // Bytes under the WAMP convention; what does not decode strictly stays for JavaScript
            // (which decodes leniently), as does a value too small to go beside the text.
            if b64.len() / 4 * 3 >= ATTACH_MIN_LEN {
                if let Ok(bytes) = BASE64.decode(b64) {
                    let value = Found::Decoded(ReceivedValue::Bytes(bytes.into()));
                    found.push(LargeValue { open, close, value });
                }
            }
        } else if raw.len() >= ATTACH_MIN_TEXT_LEN {
            let value = if escaped {
                match serde_json::from_slice::<String>(&src[open..=close]) {
                    Ok(text) => Found::Decoded(ReceivedValue::Text(Bytes::from(text))),
                    Err(_) => return Vec::new(),
                }
            } else {
                Found::Raw
            };
            found.push(LargeValue { open, close, value });
        }
    }
    found
}

/// Fails when the lists and maps of a received JSON text nest deeper than `MAX_NESTING`, the
/// limit the MessagePack and CBOR readers have too: the text is not parsed here (the session
/// only splits the envelope), but JavaScript and the other serializers recurse over it.
pub(super) fn check_nesting(text: &[u8]) -> Result<(), CodecError> {
    // A text cannot nest deeper than it has `[` and `{`, strings' included. Counting them is a
    // few vector instructions per 16 bytes, where the scan below is several per byte; it runs on
    // every received message, and nearly all have far fewer.
    if text.len() <= MAX_NESTING || openers(text) <= MAX_NESTING {
        return Ok(());
    }
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(&b) = text.get(at) {
        match b {
            b'"' => {
                // Skip the string: to its closing quote, past escaped characters.
                at += 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', text.get(at..).unwrap_or_default()) {
                        None => return Ok(()),
                        Some(k) if text[at + k] == b'\\' => at += k + 2,
                        Some(k) => {
                            at += k;
                            break;
                        }
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(CodecError::TooDeep {
                        codec: "json",
                        limit: MAX_NESTING,
                    });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        at += 1;
    }
    Ok(())
}

/// How many `[` and `{` bytes `text` has. Counted in bytes per block of 255 (no overflow), which
/// the compiler turns into vector compares.
fn openers(text: &[u8]) -> usize {
    text.chunks(255)
        .map(|block| {
            let n = block
                .iter()
                .fold(0u8, |n, &b| n + u8::from(b == b'[' || b == b'{'));
            usize::from(n)
        })
        .sum()
}

pub(super) fn parse_json(json: &str, codec: &'static str) -> Result<Json, CodecError> {
    serde_json::from_str(json).map_err(|e| encode_err(codec, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_json_gives_its_large_values_as_attachments() {
        use serde_json::json;
        let long = "plain text ".repeat(2000);
        let escaped = "say \"hi\"\n\t☃ é ".repeat(2000);
        let bytes: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
        let marked = format!("\u{0}{}", BASE64.encode(&bytes));
        let long_key = "k".repeat(20_000);
        let not_base64 = format!("\u{0}{}!", "QUJD".repeat(1000));
        let text = serde_json::to_string(&json!([
            36, 1, {},
            [long, 5, marked, "\u{0}AQID", not_base64],
            {"k": escaped, long_key.clone(): 1}
        ]))
        .unwrap();
        let mut att = vec![ReceivedValue::Bytes(vec![0].into())]; // one before: numbering goes on
        let out = json_take_large_values(text, &mut att);
        let got: Json = serde_json::from_str(&out).unwrap();
        assert_eq!(
            got,
            json!([
                36, 1, {},
                ["\u{0}#1", 5, "\u{0}#2", "\u{0}AQID", not_base64],
                {"k": "\u{0}#3", long_key: 1}
            ])
        );
        assert_eq!(
            att[1..],
            [
                ReceivedValue::Text(long.into()),
                ReceivedValue::Bytes(bytes.into()),
                ReceivedValue::Text(escaped.into()),
            ]
        );

        // A string that is most of the text is not copied.
        let text = serde_json::to_string(&json!([36, 1, {}, ["x".repeat(40_000)]])).unwrap();
        let inside = text.as_bytes().as_ptr_range();
        let mut att = vec![];
        assert_eq!(
            json_take_large_values(text, &mut att),
            r#"[36,1,{},["\u0000#0"]]"#
        );
        let [ReceivedValue::Text(x)] = &att[..] else {
            panic!("{att:?}")
        };
        assert!(inside.contains(&x.as_ptr()) && x[..] == *"x".repeat(40_000).as_bytes());

        // Small texts, and texts that are not well-formed, are left as they are.
        for text in [
            serde_json::to_string(&json!([36, 1, {}, ["y".repeat(10_000)]])).unwrap(),
            format!(r#"[36,1,{{}},["{}"#, "z".repeat(20_000)),
            format!(r#"[36,1,{{}},["{}\"#, "z".repeat(20_000)),
        ] {
            let mut att = vec![];
            assert_eq!(json_take_large_values(text.clone(), &mut att), text);
            assert!(att.is_empty());
        }
    }

    #[test]
    fn json_gets_its_attachments_inline() {
        let mut out: Outgoing = vec![
            Some(Attachment::Bytes(vec![0xff; 4].into())),
            Some(Attachment::Bytes(vec![1, 2, 3].into())),
            Some(Attachment::text("say \"hi\"\n".into())),
        ];
        // The second placeholder-like text is inside a string (after an escaped quote): kept.
        let json = r#"[1,"\u0000#1",{"s":"a\"\u0000#0","b":"\u0000#0"},"\u0000#2"]"#.to_string();
        let text = inline_attachments(json, &mut out).unwrap();
        assert_eq!(
            text,
            r#"[1,"\u0000AQID",{"s":"a\"\u0000#0","b":"\u0000/////w=="},"say \"hi\"\n"]"#
        );
    }
}
