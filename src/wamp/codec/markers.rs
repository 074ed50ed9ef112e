//! The marker rules of the JSON side. JSON cannot carry bytes or integers beyond ±(2^53-1) in
//! a way JavaScript reads back exactly, so they are marked strings: U+0000 + standard Base64 for
//! bytes (the WAMP convention for JSON) and U+0001 + decimal digits for big integers. Binary
//! serializers carry both natively (bin / byte string, 64-bit integers).

use std::fmt::Write as _;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use bytes::Bytes;

use super::attachments::{take_attachment, Attachment, Outgoing, ATTACHMENT_MARK};
use super::CodecError;

/// Integers JavaScript numbers hold exactly.
pub(super) const MAX_SAFE: i128 = (1 << 53) - 1;

/// The first character of a byte value's string (then Base64, or an attachment placeholder).
pub const BYTES_MARK: char = '\u{0}';
/// The first character of a big integer's string (then decimal digits).
pub const BIGINT_MARK: char = '\u{1}';

pub(super) fn push_quoted(out: &mut String, s: &str) {
    if !needs_escaping(s.as_bytes()) {
        // The usual case, and the one that matters for long strings: copied as it is.
        out.reserve(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    // Escape straight into the output (no intermediate String).
    let mut buf = std::mem::take(out).into_bytes();
    // Serializing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut buf, s);
    // Valid UTF-8: `out` was, and the escaped text of a &str is.
    *out = String::from_utf8(buf).unwrap_or_default();
}

/// An attached string's text (attachments of strings are UTF-8 by construction).
pub(super) fn attached_str<'a>(t: &'a [u8], codec: &'static str) -> Result<&'a str, CodecError> {
    std::str::from_utf8(t).map_err(|_| super::encode_err(codec, "an attached string is not UTF-8"))
}

/// Whether a JSON string of these bytes needs escapes: a quote, a backslash or a control
/// character (what serde_json escapes). Checked a block at a time without branches per byte,
/// which the compiler turns into vector instructions: a megabyte takes tens of microseconds
/// instead of the byte-by-byte escaper's milliseconds.
fn needs_escaping(bytes: &[u8]) -> bool {
    bytes.chunks(64).any(|block| {
        block.iter().fold(false, |found, &b| {
            found | (b < 0x20) | (b == b'"') | (b == b'\\')
        })
    })
}

pub(super) fn push_integer(out: &mut String, v: i128) {
    if (-MAX_SAFE..=MAX_SAFE).contains(&v) {
        // Formatting into a String cannot fail.
        let _ = write!(out, "{v}");
    } else {
        push_quoted(out, &format!("{BIGINT_MARK}{v}"));
    }
}

pub(super) fn push_float(out: &mut String, v: f64) {
    if v.is_finite() {
        out.push_str(&serde_json::to_string(&v).unwrap_or_else(|_| "null".into()));
    } else {
        // JSON has no NaN or infinity; JSON.stringify writes null too.
        out.push_str("null");
    }
}

/// "\u0000" + Base64: Base64 never needs escaping, so it goes straight into the output.
pub(super) fn push_base64(out: &mut String, b: &[u8]) {
    out.reserve(10 + b.len().div_ceil(3) * 4);
    out.push_str("\"\\u0000");
    BASE64.encode_string(b, out);
    out.push('"');
}

/// A marked string from the JSON side, as what it stands for.
pub(super) enum Marked<'a> {
    Bytes(Bytes),
    Int(i128),
    Text(&'a str),
    /// An attached string: UTF-8.
    AttachedText(Bytes),
}

pub(super) fn unmark<'a>(
    s: &'a str,
    attachments: &mut Outgoing,
    codec: &'static str,
) -> Result<Marked<'a>, CodecError> {
    if let Some(rest) = s.strip_prefix(BYTES_MARK) {
        if let Some(index) = rest.strip_prefix(ATTACHMENT_MARK) {
            return take_attachment(index, attachments, codec).map(|a| match a {
                Attachment::Bytes(b) => Marked::Bytes(b),
                Attachment::Text(t) => Marked::AttachedText(t),
            });
        }
        if let Ok(bytes) = BASE64.decode(rest) {
            return Ok(Marked::Bytes(Bytes::from(bytes)));
        }
    } else if let Some(digits) = s.strip_prefix(BIGINT_MARK) {
        if let Ok(v) = digits.parse::<i128>() {
            return Ok(Marked::Int(v));
        }
    }
    Ok(Marked::Text(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_matches_serde_json_with_and_without_escapes() {
        let long = "plain ascii and ☃ 😀 é ".repeat(5000);
        let mut samples: Vec<String> = vec![String::new(), "x".into(), long.clone()];
        // Every character JSON escapes, and its neighbours, at the start, in the middle of a
        // block, on a block boundary and at the end of a long string.
        for c in (0u8..0x20).chain([b'"', b'\\', 0x7f, b'/']) {
            let c = char::from(c);
            for at in [0, 31, 63, 64, long.len()] {
                let mut s = long.clone();
                s.insert(at, c);
                samples.push(s);
            }
            samples.push(c.to_string());
        }
        for s in samples {
            let mut out = String::from("[");
            push_quoted(&mut out, &s);
            assert_eq!(out[1..], serde_json::to_string(&s).unwrap());
        }
    }
}
