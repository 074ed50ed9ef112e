//! Transcoding between the engine's JSON text and MessagePack / CBOR.
//!
//! JSON cannot carry bytes or integers beyond ±(2^53-1) in a way JavaScript reads back exactly,
//! so on the JSON side they are marked strings: U+0000 + standard Base64 for bytes (the WAMP
//! convention for JSON) and U+0001 + decimal digits for big integers. Binary serializers carry
//! both natively (bin / byte string, 64-bit integers).
//!
//! Large values need not cross between JavaScript and the engine inside the JSON text at all:
//! byte values (no Base64) and long strings (no escaping, no JSON parsing) travel beside the text
//! as separate values ("attachments"), and the text holds a placeholder, U+0000 + `#` + the
//! attachment's index (`#` is not a Base64 character, so the two never mix).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use bytes::Bytes;
use serde_json::Value as Json;
use std::fmt::Write as _;

use super::CodecError;

/// Integers JavaScript numbers hold exactly.
const MAX_SAFE: i128 = (1 << 53) - 1;
pub const BYTES_MARK: char = '\u{0}';
pub const BIGINT_MARK: char = '\u{1}';
/// What follows U+0000 in a placeholder for an attachment.
pub const ATTACHMENT_MARK: char = '#';
/// Incoming byte values at least this long become attachments (when the caller takes them);
/// smaller ones stay inline, where Base64 is cheaper than a buffer of their own.
pub const ATTACH_MIN_LEN: usize = 1024;
/// The same for strings (in bytes of UTF-8): below it, escaping and parsing cost less than a
/// value of their own.
pub const ATTACH_MIN_TEXT_LEN: usize = 16 * 1024;

/// A value that travels beside the JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attachment {
    Bytes(Vec<u8>),
    Text(String),
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

fn decode_err(codec: &'static str, reason: impl Into<String>) -> CodecError {
    CodecError::Decode {
        codec,
        reason: reason.into(),
    }
}

fn encode_err(codec: &'static str, reason: impl Into<String>) -> CodecError {
    CodecError::Encode {
        codec,
        reason: reason.into(),
    }
}

fn push_quoted(out: &mut String, s: &str) {
    // Escape straight into the output (no intermediate String).
    let mut buf = std::mem::take(out).into_bytes();
    // Serializing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut buf, s);
    // Valid UTF-8: `out` was, and the escaped text of a &str is.
    *out = String::from_utf8(buf).unwrap_or_default();
}

fn push_integer(out: &mut String, v: i128) {
    if (-MAX_SAFE..=MAX_SAFE).contains(&v) {
        // Formatting into a String cannot fail.
        let _ = write!(out, "{v}");
    } else {
        push_quoted(out, &format!("{BIGINT_MARK}{v}"));
    }
}

fn push_float(out: &mut String, v: f64) {
    if v.is_finite() {
        out.push_str(&serde_json::to_string(&v).unwrap_or_else(|_| "null".into()));
    } else {
        // JSON has no NaN or infinity; JSON.stringify writes null too.
        out.push_str("null");
    }
}

/// The JSON text being written from a decoded message, and where large byte values go when the
/// caller takes them as attachments.
struct JsonOut<'a> {
    text: String,
    attachments: Option<&'a mut Vec<ReceivedValue>>,
}

impl JsonOut<'_> {
    /// Writes a placeholder for `value` and keeps it (when this writer takes attachments).
    fn attach(&mut self, value: ReceivedValue) {
        if let Some(attachments) = self.attachments.as_mut() {
            push_placeholder(&mut self.text, attachments.len());
            attachments.push(value);
        }
    }

    fn attaches_bytes(&self, b: &[u8]) -> bool {
        self.attachments.is_some() && b.len() >= ATTACH_MIN_LEN
    }

    /// Whether a string of this length goes beside the text. Strings starting with a mark stay
    /// inline, where JavaScript reads them as what they stand for, as it always has.
    fn attaches_text(&self, s: &str) -> bool {
        self.attachments.is_some()
            && s.len() >= ATTACH_MIN_TEXT_LEN
            && !s.starts_with([BYTES_MARK, BIGINT_MARK])
    }

    fn push_text(&mut self, s: &mut String) {
        if self.attaches_text(s) {
            self.attach(ReceivedValue::Text(Bytes::from(std::mem::take(s))));
        } else {
            push_quoted(&mut self.text, s);
        }
    }
}

/// `"\u0000#index"`, the placeholder of an attachment.
fn push_placeholder(out: &mut String, index: usize) {
    out.push_str(PLACEHOLDER);
    // Formatting into a String cannot fail.
    let _ = write!(out, "{index}\"");
}

/// `part` of a received frame as a value of its own: sharing the frame's buffer when it is at
/// least half the frame, else a copy (a shared value keeps its whole frame alive for as long as
/// JavaScript holds it).
fn share_or_copy(frame: &Bytes, part: &[u8]) -> Bytes {
    if part.len() * 2 >= frame.len() {
        frame.slice_ref(part)
    } else {
        Bytes::copy_from_slice(part)
    }
}

fn push_bytes(w: &mut JsonOut, b: &mut Vec<u8>) {
    if w.attaches_bytes(b) {
        w.attach(ReceivedValue::Bytes(Bytes::from(std::mem::take(b))));
    } else {
        push_base64(&mut w.text, b);
    }
}

/// "\u0000" + Base64: Base64 never needs escaping, so it goes straight into the output.
fn push_base64(out: &mut String, b: &[u8]) {
    out.reserve(10 + b.len().div_ceil(3) * 4);
    out.push_str("\"\\u0000");
    BASE64.encode_string(b, out);
    out.push('"');
}

type ToJson<T> = fn(&mut T, &mut JsonOut) -> Result<(), CodecError>;

/// The JSON text of a decoded message (`wire_len`: the size of its encoding, a capacity hint).
fn to_json_text<T>(
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
fn push_seq(
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

fn push_list<T>(w: &mut JsonOut, items: &mut [T], item: ToJson<T>) -> Result<(), CodecError> {
    push_seq(w, ('[', ']'), items.len(), |i, w| item(&mut items[i], w))
}

fn push_map<T>(
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
fn push_key_of<T>(key: &mut T, w: &mut JsonOut, to_json: ToJson<T>) -> Result<(), CodecError> {
    let mut inner = JsonOut {
        text: String::new(),
        attachments: None,
    };
    to_json(key, &mut inner)?;
    push_quoted(&mut w.text, &inner.text);
    Ok(())
}

/// A marked string from the JSON side, as what it stands for.
enum Marked<'a> {
    Bytes(Vec<u8>),
    Int(i128),
    Text(&'a str),
    OwnedText(String),
}

fn unmark<'a>(
    s: &'a str,
    attachments: &mut Outgoing,
    codec: &'static str,
) -> Result<Marked<'a>, CodecError> {
    if let Some(rest) = s.strip_prefix(BYTES_MARK) {
        if let Some(index) = rest.strip_prefix(ATTACHMENT_MARK) {
            return take_attachment(index, attachments, codec).map(|a| match a {
                Attachment::Bytes(b) => Marked::Bytes(b),
                Attachment::Text(t) => Marked::OwnedText(t),
            });
        }
        if let Ok(bytes) = BASE64.decode(rest) {
            return Ok(Marked::Bytes(bytes));
        }
    } else if let Some(digits) = s.strip_prefix(BIGINT_MARK) {
        if let Ok(v) = digits.parse::<i128>() {
            return Ok(Marked::Int(v));
        }
    }
    Ok(Marked::Text(s))
}

fn take_attachment(
    index: &str,
    attachments: &mut Outgoing,
    codec: &'static str,
) -> Result<Attachment, CodecError> {
    index
        .parse::<usize>()
        .ok()
        .and_then(|i| attachments.get_mut(i))
        .and_then(Option::take)
        .ok_or_else(|| {
            encode_err(
                codec,
                format!("the placeholder of attachment '{index}' has no attachment"),
            )
        })
}

const PLACEHOLDER: &str = "\"\\u0000#";

/// Where the placeholders in `json` are: (start of the index digits, end of them), for those that
/// open a string (a quote after a backslash is inside a string; an opening quote is not).
fn placeholders(json: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
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
                push_quoted(&mut out, &text);
                copied = end + 1;
            }
        }
    }
    out.push_str(&json[copied..]);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// JSON received

/// Where a string value of a received JSON text is (offsets of its quotes), and what it is.
struct LargeValue {
    open: usize,
    close: usize,
    value: Found,
}

enum Found {
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
fn large_json_values(src: &[u8]) -> Vec<LargeValue> {
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

fn parse_json(json: &str, codec: &'static str) -> Result<Json, CodecError> {
    serde_json::from_str(json).map_err(|e| encode_err(codec, e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// MessagePack

/// MessagePack -> JSON text; with `attachments`, large byte values go there instead of inline.
///
/// Read straight from the frame, with no value tree in between: each string or byte value is
/// copied once, into the text or into an attachment of exactly its size. (A decoder into a value
/// tree cannot trust a length from the wire enough to allocate it up front, so a 1 MiB value
/// grew by reallocation, page faults and copies; that was a third of the engine's time in a
/// 1 MiB binary echo.)
///
/// Large values of a frame that is mostly that value share the frame's buffer rather than copy
/// it. (Smaller ones are copied: a shared value keeps its whole frame alive for as long as
/// JavaScript holds it.)
pub fn msgpack_to_json(
    frame: &Bytes,
    attachments: Option<&mut Vec<ReceivedValue>>,
) -> Result<String, CodecError> {
    let mut w = JsonOut {
        text: String::with_capacity(frame.len() + 16),
        attachments,
    };
    let mut rd = MsgpackReader { frame, rest: frame };
    rd.value(&mut w, 0)?;
    if !rd.rest.is_empty() {
        return Err(decode_err("msgpack", "trailing bytes after the message"));
    }
    Ok(w.text)
}

/// How deep MessagePack lists and maps may nest: the reader recurses, and the input comes from
/// the network. The same limit as serde_json's, which reads the text afterwards.
const MSGPACK_MAX_DEPTH: usize = 128;

struct MsgpackReader<'a> {
    frame: &'a Bytes,
    rest: &'a [u8],
}

impl<'a> MsgpackReader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if self.rest.len() < n {
            return Err(decode_err("msgpack", "the message ends inside a value"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.array::<1>()?[0])
    }

    /// A length of 1, 2 or 4 big-endian bytes.
    fn len(&mut self, width: usize) -> Result<usize, CodecError> {
        let mut n = 0usize;
        for b in self.take(width)? {
            n = (n << 8) | usize::from(*b);
        }
        Ok(n)
    }

    fn value(&mut self, w: &mut JsonOut, depth: usize) -> Result<(), CodecError> {
        use rmp::Marker as M;
        match M::from_u8(self.u8()?) {
            M::Null => w.text.push_str("null"),
            M::True => w.text.push_str("true"),
            M::False => w.text.push_str("false"),
            M::FixPos(n) => push_integer(&mut w.text, i128::from(n)),
            M::FixNeg(n) => push_integer(&mut w.text, i128::from(n)),
            M::U8 => push_integer(&mut w.text, i128::from(self.u8()?)),
            M::U16 => push_integer(&mut w.text, u16::from_be_bytes(self.array()?).into()),
            M::U32 => push_integer(&mut w.text, u32::from_be_bytes(self.array()?).into()),
            M::U64 => push_integer(&mut w.text, u64::from_be_bytes(self.array()?).into()),
            M::I8 => push_integer(&mut w.text, i8::from_be_bytes(self.array()?).into()),
            M::I16 => push_integer(&mut w.text, i16::from_be_bytes(self.array()?).into()),
            M::I32 => push_integer(&mut w.text, i32::from_be_bytes(self.array()?).into()),
            M::I64 => push_integer(&mut w.text, i64::from_be_bytes(self.array()?).into()),
            M::F32 => push_float(&mut w.text, f32::from_be_bytes(self.array()?).into()),
            M::F64 => push_float(&mut w.text, f64::from_be_bytes(self.array()?)),
            M::FixStr(n) => self.text(usize::from(n), w)?,
            M::Str8 => self.sized(1, w, Self::text)?,
            M::Str16 => self.sized(2, w, Self::text)?,
            M::Str32 => self.sized(4, w, Self::text)?,
            M::Bin8 => self.sized(1, w, Self::bytes)?,
            M::Bin16 => self.sized(2, w, Self::bytes)?,
            M::Bin32 => self.sized(4, w, Self::bytes)?,
            M::FixArray(n) => self.list(usize::from(n), w, depth)?,
            M::Array16 => {
                let n = self.len(2)?;
                self.list(n, w, depth)?
            }
            M::Array32 => {
                let n = self.len(4)?;
                self.list(n, w, depth)?
            }
            M::FixMap(n) => self.map(usize::from(n), w, depth)?,
            M::Map16 => {
                let n = self.len(2)?;
                self.map(n, w, depth)?
            }
            M::Map32 => {
                let n = self.len(4)?;
                self.map(n, w, depth)?
            }
            M::FixExt1 | M::FixExt2 | M::FixExt4 | M::FixExt8 | M::FixExt16 => {
                return Err(ext_err(i8::from_be_bytes(self.array()?)))
            }
            M::Ext8 => return Err(self.ext(1)),
            M::Ext16 => return Err(self.ext(2)),
            M::Ext32 => return Err(self.ext(4)),
            M::Reserved => return Err(decode_err("msgpack", "the reserved marker 0xc1")),
        }
        Ok(())
    }

    /// A string or byte value whose length comes first, in `width` bytes.
    fn sized(
        &mut self,
        width: usize,
        w: &mut JsonOut,
        read: fn(&mut Self, usize, &mut JsonOut) -> Result<(), CodecError>,
    ) -> Result<(), CodecError> {
        let n = self.len(width)?;
        read(self, n, w)
    }

    fn text(&mut self, n: usize, w: &mut JsonOut) -> Result<(), CodecError> {
        let s = std::str::from_utf8(self.take(n)?)
            .map_err(|_| decode_err("msgpack", "a string is not valid UTF-8"))?;
        if w.attaches_text(s) {
            w.attach(ReceivedValue::Text(share_or_copy(self.frame, s.as_bytes())));
        } else {
            push_quoted(&mut w.text, s);
        }
        Ok(())
    }

    fn bytes(&mut self, n: usize, w: &mut JsonOut) -> Result<(), CodecError> {
        let b = self.take(n)?;
        if w.attaches_bytes(b) {
            w.attach(ReceivedValue::Bytes(share_or_copy(self.frame, b)));
        } else {
            push_base64(&mut w.text, b);
        }
        Ok(())
    }

    /// Every item takes at least a byte, so a count beyond what is left is an error at once.
    fn count(&self, n: usize, per_item: usize) -> Result<(), CodecError> {
        if n.saturating_mul(per_item) > self.rest.len() {
            return Err(decode_err(
                "msgpack",
                "the message ends inside a list or map",
            ));
        }
        Ok(())
    }

    fn nested(depth: usize) -> Result<usize, CodecError> {
        if depth >= MSGPACK_MAX_DEPTH {
            return Err(decode_err(
                "msgpack",
                format!("lists and maps nest deeper than {MSGPACK_MAX_DEPTH}"),
            ));
        }
        Ok(depth + 1)
    }

    fn list(&mut self, n: usize, w: &mut JsonOut, depth: usize) -> Result<(), CodecError> {
        let depth = Self::nested(depth)?;
        self.count(n, 1)?;
        push_seq(w, ('[', ']'), n, |_, w| self.value(w, depth))
    }

    fn map(&mut self, n: usize, w: &mut JsonOut, depth: usize) -> Result<(), CodecError> {
        let depth = Self::nested(depth)?;
        self.count(n, 2)?;
        push_seq(w, ('{', '}'), n, |_, w| {
            self.key(w, depth)?;
            w.text.push(':');
            self.value(w, depth)
        })
    }

    /// WAMP dicts have string keys; a key of another type becomes the string of its JSON text
    /// rather than failing the message.
    fn key(&mut self, w: &mut JsonOut, depth: usize) -> Result<(), CodecError> {
        use rmp::Marker as M;
        let width = match self.rest.first().map(|b| M::from_u8(*b)) {
            Some(M::FixStr(n)) => {
                self.take(1)?;
                return self.key_text(usize::from(n), w);
            }
            Some(M::Str8) => 1,
            Some(M::Str16) => 2,
            Some(M::Str32) => 4,
            _ => {
                let mut inner = JsonOut {
                    text: String::new(),
                    attachments: None,
                };
                self.value(&mut inner, depth)?;
                push_quoted(&mut w.text, &inner.text);
                return Ok(());
            }
        };
        self.take(1)?;
        let n = self.len(width)?;
        self.key_text(n, w)
    }

    fn key_text(&mut self, n: usize, w: &mut JsonOut) -> Result<(), CodecError> {
        let s = std::str::from_utf8(self.take(n)?)
            .map_err(|_| decode_err("msgpack", "a map key is not valid UTF-8"))?;
        push_quoted(&mut w.text, s);
        Ok(())
    }

    /// The error for an extension value (`width`: the size of its length field).
    fn ext(&mut self, width: usize) -> CodecError {
        match self.take(width).and_then(|_| self.array()) {
            Ok(kind) => ext_err(i8::from_be_bytes(kind)),
            Err(e) => e,
        }
    }
}

fn ext_err(kind: i8) -> CodecError {
    decode_err(
        "msgpack",
        format!("extension type {kind} is not used by WAMP"),
    )
}

pub fn json_to_msgpack(json: &str, attachments: &mut Outgoing) -> Result<Vec<u8>, CodecError> {
    let value = parse_json(json, "msgpack")?;
    let mut out = Vec::with_capacity(json.len() + attached_len(attachments));
    write_msgpack(&value, &mut out, attachments)?;
    Ok(out)
}

fn attached_len(attachments: &Outgoing) -> usize {
    attachments
        .iter()
        .flatten()
        .map(|a| match a {
            Attachment::Bytes(b) => b.len(),
            Attachment::Text(t) => t.len(),
        })
        .sum()
}

fn write_msgpack(v: &Json, out: &mut Vec<u8>, att: &mut Outgoing) -> Result<(), CodecError> {
    use rmp::encode as e;
    let io = |err: std::io::Error| encode_err("msgpack", err.to_string());
    let val = |err: rmp::encode::ValueWriteError| encode_err("msgpack", err.to_string());
    match v {
        Json::Null => e::write_nil(out).map_err(io)?,
        Json::Bool(b) => e::write_bool(out, *b).map_err(io)?,
        Json::Number(n) => {
            if let Some(u) = n.as_u64() {
                e::write_uint(out, u).map_err(val)?;
            } else if let Some(i) = n.as_i64() {
                e::write_sint(out, i).map_err(val)?;
            } else {
                e::write_f64(out, n.as_f64().unwrap_or(f64::NAN)).map_err(val)?;
            }
        }
        Json::String(s) => match unmark(s, att, "msgpack")? {
            Marked::Bytes(b) => {
                e::write_bin(out, &b).map_err(val)?;
            }
            Marked::Int(i) => {
                if let Ok(u) = u64::try_from(i) {
                    e::write_uint(out, u).map_err(val)?;
                } else if let Ok(s) = i64::try_from(i) {
                    e::write_sint(out, s).map_err(val)?;
                } else {
                    return Err(encode_err(
                        "msgpack",
                        format!("the integer {i} does not fit 64 bits"),
                    ));
                }
            }
            Marked::Text(t) => e::write_str(out, t).map_err(val)?,
            Marked::OwnedText(t) => e::write_str(out, &t).map_err(val)?,
        },
        Json::Array(items) => {
            e::write_array_len(out, len32(items.len())?).map_err(val)?;
            for item in items {
                write_msgpack(item, out, att)?;
            }
        }
        Json::Object(map) => {
            e::write_map_len(out, len32(map.len())?).map_err(val)?;
            for (k, item) in map {
                e::write_str(out, k).map_err(val)?;
                write_msgpack(item, out, att)?;
            }
        }
    }
    Ok(())
}

fn len32(n: usize) -> Result<u32, CodecError> {
    u32::try_from(n).map_err(|_| encode_err("msgpack", "a list or dict is too long"))
}

// ---------------------------------------------------------------------------------------------
// CBOR

/// CBOR -> JSON text; with `attachments`, large byte values go there instead of inline.
pub fn cbor_to_json(
    bytes: &[u8],
    attachments: Option<&mut Vec<ReceivedValue>>,
) -> Result<String, CodecError> {
    let mut value: ciborium::Value =
        ciborium::de::from_reader(bytes).map_err(|e| decode_err("cbor", e.to_string()))?;
    to_json_text(&mut value, bytes.len(), attachments, cbor_value_to_json)
}

fn cbor_value_to_json(v: &mut ciborium::Value, w: &mut JsonOut) -> Result<(), CodecError> {
    use ciborium::Value as V;
    match v {
        V::Null => w.text.push_str("null"),
        V::Bool(b) => w.text.push_str(if *b { "true" } else { "false" }),
        V::Integer(i) => push_integer(&mut w.text, i128::from(*i)),
        V::Float(f) => push_float(&mut w.text, *f),
        V::Text(s) => w.push_text(s),
        V::Bytes(b) => push_bytes(w, b),
        V::Array(items) => push_list(w, items, cbor_value_to_json)?,
        V::Map(entries) => push_map(
            w,
            entries,
            |k, w| match k {
                V::Text(s) => {
                    push_quoted(&mut w.text, s);
                    Ok(())
                }
                other => push_key_of(other, w, cbor_value_to_json),
            },
            cbor_value_to_json,
        )?,
        // Tags (dates, bignums, ...) are not part of WAMP; keep the tagged value.
        V::Tag(_, inner) => cbor_value_to_json(inner, w)?,
        _ => return Err(decode_err("cbor", "unsupported CBOR value")),
    }
    Ok(())
}

pub fn json_to_cbor(json: &str, attachments: &mut Outgoing) -> Result<Vec<u8>, CodecError> {
    let value = json_to_cbor_value(&parse_json(json, "cbor")?, attachments)?;
    let mut out = Vec::with_capacity(json.len() + attached_len(attachments));
    ciborium::ser::into_writer(&value, &mut out).map_err(|e| encode_err("cbor", e.to_string()))?;
    Ok(out)
}

fn json_to_cbor_value(v: &Json, att: &mut Outgoing) -> Result<ciborium::Value, CodecError> {
    use ciborium::Value as V;
    Ok(match v {
        Json::Null => V::Null,
        Json::Bool(b) => V::Bool(*b),
        Json::Number(n) => {
            if let Some(u) = n.as_u64() {
                V::Integer(u.into())
            } else if let Some(i) = n.as_i64() {
                V::Integer(i.into())
            } else {
                V::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Json::String(s) => match unmark(s, att, "cbor")? {
            Marked::Bytes(b) => V::Bytes(b),
            Marked::Int(i) => V::Integer(ciborium::value::Integer::try_from(i).map_err(|_| {
                encode_err("cbor", format!("the integer {i} does not fit 64 bits"))
            })?),
            Marked::Text(t) => V::Text(t.to_string()),
            Marked::OwnedText(t) => V::Text(t),
        },
        Json::Array(items) => V::Array(
            items
                .iter()
                .map(|item| json_to_cbor_value(item, att))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(map) => V::Map(
            map.iter()
                .map(|(k, item)| Ok((V::Text(k.clone()), json_to_cbor_value(item, att)?)))
                .collect::<Result<_, CodecError>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    const CALL: &str = r#"[48,7814135,{},"com.myapp.myprocedure1",["Hello, world!"]]"#;

    fn mp_to_json(
        wire: &[u8],
        attachments: Option<&mut Vec<ReceivedValue>>,
    ) -> Result<String, CodecError> {
        msgpack_to_json(&bytes::Bytes::copy_from_slice(wire), attachments)
    }

    #[test]
    fn msgpack_matches_the_spec_vector() {
        let wire = hex("9530ce00773bf780b6636f6d2e6d796170702e6d7970726f6365647572653191ad48656c6c6f2c20776f726c6421");
        assert_eq!(json_to_msgpack(CALL, &mut vec![]).unwrap(), wire);
        assert_eq!(mp_to_json(&wire, None).unwrap(), CALL);
    }

    #[test]
    fn cbor_matches_the_spec_vector() {
        let wire = hex("8518301a00773bf7a076636f6d2e6d796170702e6d7970726f63656475726531816d48656c6c6f2c20776f726c6421");
        assert_eq!(json_to_cbor(CALL, &mut vec![]).unwrap(), wire);
        assert_eq!(cbor_to_json(&wire, None).unwrap(), CALL);
    }

    #[test]
    fn bytes_round_trip_as_native_binary() {
        // 10e3ff9053075c526f5fc06d4fe37cdb is "\u0000EOP/kFMHXFJvX8BtT+N82w==" in JSON.
        let json = r#"[1,"\u0000EOP/kFMHXFJvX8BtT+N82w=="]"#;
        let mp = json_to_msgpack(json, &mut vec![]).unwrap();
        assert_eq!(&mp[..4], &[0x92, 0x01, 0xc4, 0x10]);
        assert_eq!(&mp[4..], &hex("10e3ff9053075c526f5fc06d4fe37cdb")[..]);
        assert_eq!(mp_to_json(&mp, None).unwrap(), json);
        let cb = json_to_cbor(json, &mut vec![]).unwrap();
        assert_eq!(cb[2], 0x50, "CBOR byte string of 16 bytes");
        assert_eq!(cbor_to_json(&cb, None).unwrap(), json);
    }

    #[test]
    fn big_integers_travel_as_marked_strings_on_the_json_side() {
        let json = r#"["\u00019007199254740993","\u0001-9223372036854775808","\u000118446744073709551615",9007199254740991]"#;
        for (enc, dec) in [
            (
                json_to_msgpack as fn(&str, &mut Outgoing) -> _,
                mp_to_json as fn(&[u8], Option<&mut Vec<ReceivedValue>>) -> _,
            ),
            (json_to_cbor, cbor_to_json),
        ] {
            let wire = enc(json, &mut vec![]).unwrap();
            assert_eq!(dec(&wire, None).unwrap(), json);
        }
        assert!(json_to_msgpack(r#"["\u000118446744073709551616"]"#, &mut vec![]).is_err());
    }

    #[test]
    fn floats_strings_and_nesting() {
        let json = r#"[1.5,-0.25,"héllo ☃",{"a":[null,true,false,{}]},[]]"#;
        assert_eq!(
            mp_to_json(&json_to_msgpack(json, &mut vec![]).unwrap(), None).unwrap(),
            json
        );
        assert_eq!(
            cbor_to_json(&json_to_cbor(json, &mut vec![]).unwrap(), None).unwrap(),
            json
        );
        // float32 from another peer is accepted.
        let mut f32_msg = vec![0x91, 0xca];
        f32_msg.extend_from_slice(&1.5f32.to_be_bytes());
        assert_eq!(mp_to_json(&f32_msg, None).unwrap(), "[1.5]");
    }

    #[test]
    fn non_string_map_keys_become_strings() {
        // msgpack {1: "a", true: "b"}
        let wire = [0x82, 0x01, 0xa1, b'a', 0xc3, 0xa1, b'b'];
        assert_eq!(mp_to_json(&wire, None).unwrap(), r#"{"1":"a","true":"b"}"#);
        // CBOR {1: "a"}
        let wire = [0xa1, 0x01, 0x61, b'a'];
        assert_eq!(cbor_to_json(&wire, None).unwrap(), r#"{"1":"a"}"#);
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        assert!(mp_to_json(&[0x92, 0x01], None).is_err());
        assert!(mp_to_json(&[0x91, 0xd9], None).is_err(), "truncated str8");
        assert!(mp_to_json(&[0x90, 0x00], None).is_err(), "trailing bytes");
        assert!(cbor_to_json(&[0x82, 0x01], None).is_err());
        assert!(cbor_to_json(&[0xff], None).is_err());
    }

    #[test]
    fn every_msgpack_width_reads_as_json() {
        let f64_key: Vec<u8> = [&[0x81, 0xcb][..], &1.5f64.to_be_bytes(), &[0x01]].concat();
        let cases: &[(&[u8], &str)] = &[
            (&[0xcc, 0xff], "255"),
            (&[0xcd, 0x01, 0x00], "256"),
            (&[0xce, 0, 1, 0, 0], "65536"),
            (&[0xcf, 0, 0, 0, 1, 0, 0, 0, 0], "4294967296"),
            (
                &[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                r#""\u000118446744073709551615""#,
            ),
            (&[0xe0], "-32"),
            (&[0xd0, 0x80], "-128"),
            (&[0xd1, 0x80, 0], "-32768"),
            (&[0xd2, 0x80, 0, 0, 0], "-2147483648"),
            (
                &[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0],
                r#""\u0001-9223372036854775808""#,
            ),
            (&[0xd9, 2, b'h', b'i'], r#""hi""#),
            (&[0xda, 0, 2, b'h', b'i'], r#""hi""#),
            (&[0xdb, 0, 0, 0, 2, b'h', b'i'], r#""hi""#),
            (&[0xc4, 3, 1, 2, 3], r#""\u0000AQID""#),
            (&[0xc5, 0, 3, 1, 2, 3], r#""\u0000AQID""#),
            (&[0xc6, 0, 0, 0, 3, 1, 2, 3], r#""\u0000AQID""#),
            (&[0xdc, 0, 2, 0xc0, 0xc3], "[null,true]"),
            (&[0xdd, 0, 0, 0, 1, 0xc2], "[false]"),
            (&[0xde, 0, 1, 0xd9, 1, b'k', 0x01], r#"{"k":1}"#),
            (
                &[0xdf, 0, 0, 0, 1, 0xdb, 0, 0, 0, 1, b'k', 0x90],
                r#"{"k":[]}"#,
            ),
            (&f64_key, r#"{"1.5":1}"#),
        ];
        for (wire, json) in cases {
            assert_eq!(mp_to_json(wire, None).unwrap(), *json, "{wire:02x?}");
        }
    }

    #[test]
    fn msgpack_from_the_network_fails_with_a_reason() {
        let reason = |wire: &[u8]| mp_to_json(wire, None).unwrap_err().to_string();
        assert!(reason(&[0x91, 0xd4, 5, 0]).contains("extension type 5"));
        assert!(reason(&[0xc7, 1, 7, 0]).contains("extension type 7"));
        assert!(reason(&[0xc1]).contains("reserved"));
        assert!(reason(&[0x81, 0xa1, 0xff, 0x01]).contains("map key is not valid UTF-8"));
        assert!(reason(&[0xa1, 0xff]).contains("string is not valid UTF-8"));
        // A count far beyond the message fails at once, without allocating for it.
        assert!(reason(&[0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0]).contains("ends inside a list"));
        assert!(reason(&[0xc6, 0xff, 0xff, 0xff, 0xff, 0]).contains("ends inside a value"));
        // Nesting is bounded, so a hostile message cannot exhaust the stack.
        let mut deep = vec![0x91; MSGPACK_MAX_DEPTH + 1];
        deep.push(0xc0);
        assert!(reason(&deep).contains("nest deeper than"));
        let mut ok = vec![0x91; MSGPACK_MAX_DEPTH];
        ok.push(0xc0);
        assert!(mp_to_json(&ok, None).is_ok());
    }

    #[test]
    fn large_bytes_and_strings_travel_as_attachments_beside_the_text() {
        use Attachment::{Bytes, Text};
        let big: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
        let long = "a \"quoted\" line\n ☃ ".repeat(1000);
        // Outgoing: placeholders take their values from the attachments, in any order.
        let json = r#"[1,"\u0000#1",{"k":"\u0000#0","s":"\u0000#2"},"\u0000AQID"]"#;
        for (enc, dec) in [
            (
                json_to_msgpack as fn(&str, &mut Outgoing) -> _,
                mp_to_json as fn(&[u8], Option<&mut Vec<ReceivedValue>>) -> _,
            ),
            (json_to_cbor, cbor_to_json),
        ] {
            let mut out: Outgoing = vec![
                Some(Bytes(big.clone())),
                Some(Bytes(big[..2000].to_vec())),
                Some(Text(long.clone())),
            ];
            let wire = enc(json, &mut out).unwrap();
            assert!(out.iter().all(Option::is_none), "each attachment is used");
            // Incoming: the large values come back as attachments, in document order; the
            // small one stays inline.
            let mut incoming = Vec::new();
            let text = dec(&wire, Some(&mut incoming)).unwrap();
            assert_eq!(
                text,
                r#"[1,"\u0000#0",{"k":"\u0000#1","s":"\u0000#2"},"\u0000AQID"]"#
            );
            assert_eq!(
                incoming,
                vec![
                    ReceivedValue::Bytes(big[..2000].to_vec().into()),
                    ReceivedValue::Bytes(big.clone().into()),
                    ReceivedValue::Text(long.clone().into())
                ]
            );
            // Without a taker everything is inline, as before.
            let inline = dec(&wire, None).unwrap();
            assert!(inline.contains(&BASE64.encode(&big)));
            assert!(inline.contains(&serde_json::to_string(&long).unwrap()));
            assert!(inline.ends_with(r#""\u0000AQID"]"#));
        }
        // Short strings, and long ones that start with a mark, stay inline.
        let marked = format!("\u{0}{}", "QUJD".repeat(5000));
        let short = serde_json::to_string(&["x".repeat(100)]).unwrap();
        for json in [short, serde_json::to_string(&[&marked]).unwrap()] {
            let mut incoming = Vec::new();
            let wire = json_to_cbor(&json, &mut vec![]).unwrap();
            let _ = cbor_to_json(&wire, Some(&mut incoming)).unwrap();
            assert!(
                incoming
                    .iter()
                    .all(|a| !matches!(a, ReceivedValue::Text(_))),
                "{}",
                &json[..20]
            );
        }
    }

    #[test]
    fn a_value_that_is_most_of_its_frame_shares_the_frame() {
        let big = vec![7u8; 5000];
        let small = vec![9u8; 1500];
        let json = r#"["\u0000#0"]"#;
        let frame = bytes::Bytes::from(
            json_to_msgpack(json, &mut vec![Some(Attachment::Bytes(big.clone()))]).unwrap(),
        );
        let mut incoming = Vec::new();
        msgpack_to_json(&frame, Some(&mut incoming)).unwrap();
        let [ReceivedValue::Bytes(shared)] = &incoming[..] else {
            panic!("{incoming:?}")
        };
        assert_eq!(shared, &big);
        let inside = frame.as_ptr_range();
        assert!(
            inside.contains(&shared.as_ptr()),
            "no copy: it points into the frame"
        );

        // A value that is a small part of its frame is copied, so that it does not keep the
        // rest of the frame alive.
        let json = r#"["\u0000#0","\u0000#1"]"#;
        let mut out = vec![
            Some(Attachment::Bytes(small.clone())),
            Some(Attachment::Text("t".repeat(20_000))),
        ];
        let frame = bytes::Bytes::from(json_to_msgpack(json, &mut out).unwrap());
        let mut incoming = Vec::new();
        msgpack_to_json(&frame, Some(&mut incoming)).unwrap();
        let [ReceivedValue::Bytes(copied), ReceivedValue::Text(text)] = &incoming[..] else {
            panic!("{incoming:?}")
        };
        assert_eq!(copied, &small);
        assert!(!frame.as_ptr_range().contains(&copied.as_ptr()));
        assert!(frame.as_ptr_range().contains(&text.as_ptr()));
        assert_eq!(text, &"t".repeat(20_000));
    }

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
            Some(Attachment::Bytes(vec![0xff; 4])),
            Some(Attachment::Bytes(vec![1, 2, 3])),
            Some(Attachment::Text("say \"hi\"\n".into())),
        ];
        // The second placeholder-like text is inside a string (after an escaped quote): kept.
        let json = r#"[1,"\u0000#1",{"s":"a\"\u0000#0","b":"\u0000#0"},"\u0000#2"]"#.to_string();
        let text = inline_attachments(json, &mut out).unwrap();
        assert_eq!(
            text,
            r#"[1,"\u0000AQID",{"s":"a\"\u0000#0","b":"\u0000/////w=="},"say \"hi\"\n"]"#
        );
    }

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

    #[test]
    fn a_placeholder_without_its_attachment_is_an_error() {
        let mut none: Outgoing = vec![Some(Attachment::Bytes(vec![1]))];
        for json in [r#"["\u0000#1"]"#, r#"["\u0000#x"]"#] {
            assert!(json_to_msgpack(json, &mut none.clone()).is_err(), "{json}");
            assert!(json_to_cbor(json, &mut none.clone()).is_err(), "{json}");
            assert!(
                inline_attachments(json.into(), &mut none).is_err(),
                "{json}"
            );
        }
        // Used twice: the second use has nothing left.
        let mut one: Outgoing = vec![Some(Attachment::Bytes(vec![1]))];
        assert!(json_to_msgpack(r#"["\u0000#0","\u0000#0"]"#, &mut one).is_err());
    }
}
