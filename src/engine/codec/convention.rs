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
use serde_json::Value as Json;

use super::CodecError;

/// Integers JavaScript numbers hold exactly.
const MAX_SAFE: i128 = (1 << 53) - 1;
const BYTES_MARK: char = '\u{0}';
const BIGINT_MARK: char = '\u{1}';
/// What follows U+0000 in a placeholder for an attachment.
const ATTACHMENT_MARK: char = '#';
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
        out.push_str(&v.to_string());
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
    attachments: Option<&'a mut Vec<Attachment>>,
}

impl JsonOut<'_> {
    /// Writes a placeholder for `value` and keeps it, or gives it back when this writer takes
    /// no attachments.
    fn attach(&mut self, value: Attachment) -> Option<Attachment> {
        let Some(attachments) = self.attachments.as_mut() else {
            return Some(value);
        };
        self.text.push_str("\"\\u0000#");
        self.text.push_str(&attachments.len().to_string());
        self.text.push('"');
        attachments.push(value);
        None
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
            match self.attach(Attachment::Text(std::mem::take(s))) {
                Some(Attachment::Text(back)) => *s = back,
                _ => return,
            }
        }
        push_quoted(&mut self.text, s);
    }
}

fn push_bytes(w: &mut JsonOut, b: &mut Vec<u8>) {
    if b.len() >= ATTACH_MIN_LEN {
        match w.attach(Attachment::Bytes(std::mem::take(b))) {
            Some(Attachment::Bytes(back)) => *b = back,
            _ => return,
        }
    }
    // "\u0000" + Base64: Base64 never needs escaping, so it goes straight into the output.
    let out = &mut w.text;
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
    attachments: Option<&mut Vec<Attachment>>,
    to_json: ToJson<T>,
) -> Result<String, CodecError> {
    let mut w = JsonOut {
        text: String::with_capacity(wire_len + 16),
        attachments,
    };
    to_json(value, &mut w)?;
    Ok(w.text)
}

fn push_list<T>(w: &mut JsonOut, items: &mut [T], item: ToJson<T>) -> Result<(), CodecError> {
    w.text.push('[');
    for (n, v) in items.iter_mut().enumerate() {
        if n > 0 {
            w.text.push(',');
        }
        item(v, w)?;
    }
    w.text.push(']');
    Ok(())
}

fn push_map<T>(
    w: &mut JsonOut,
    entries: &mut [(T, T)],
    mut key: impl FnMut(&mut T, &mut JsonOut) -> Result<(), CodecError>,
    value: ToJson<T>,
) -> Result<(), CodecError> {
    w.text.push('{');
    for (n, (k, v)) in entries.iter_mut().enumerate() {
        if n > 0 {
            w.text.push(',');
        }
        key(k, w)?;
        w.text.push(':');
        value(v, w)?;
    }
    w.text.push('}');
    Ok(())
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

fn parse_json(json: &str, codec: &'static str) -> Result<Json, CodecError> {
    serde_json::from_str(json).map_err(|e| encode_err(codec, e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// MessagePack

/// MessagePack -> JSON text; with `attachments`, large byte values go there instead of inline.
pub fn msgpack_to_json(
    bytes: &[u8],
    attachments: Option<&mut Vec<Attachment>>,
) -> Result<String, CodecError> {
    let mut rd = bytes;
    let mut value =
        rmpv::decode::read_value(&mut rd).map_err(|e| decode_err("msgpack", e.to_string()))?;
    if !rd.is_empty() {
        return Err(decode_err("msgpack", "trailing bytes after the message"));
    }
    to_json_text(&mut value, bytes.len(), attachments, msgpack_value_to_json)
}

fn msgpack_value_to_json(v: &mut rmpv::Value, w: &mut JsonOut) -> Result<(), CodecError> {
    use rmpv::Value as V;
    match v {
        V::Nil => w.text.push_str("null"),
        V::Boolean(b) => w.text.push_str(if *b { "true" } else { "false" }),
        V::Integer(i) => {
            let n = i
                .as_i64()
                .map(i128::from)
                .or_else(|| i.as_u64().map(i128::from))
                .ok_or_else(|| decode_err("msgpack", "integer out of range"))?;
            push_integer(&mut w.text, n);
        }
        V::F32(f) => push_float(&mut w.text, f64::from(*f)),
        V::F64(f) => push_float(&mut w.text, *f),
        V::String(s) => match s.as_str() {
            Some(text) if w.attaches_text(text) => {
                let owned = std::mem::replace(s, rmpv::Utf8String::from(""));
                w.push_text(&mut owned.into_str().unwrap_or_default());
            }
            Some(text) => push_quoted(&mut w.text, text),
            None => return Err(decode_err("msgpack", "a string is not valid UTF-8")),
        },
        V::Binary(b) => push_bytes(w, b),
        V::Array(items) => push_list(w, items, msgpack_value_to_json)?,
        V::Map(entries) => push_map(
            w,
            entries,
            |k, w| match k {
                V::String(s) => match s.as_str() {
                    Some(s) => {
                        push_quoted(&mut w.text, s);
                        Ok(())
                    }
                    None => Err(decode_err("msgpack", "a map key is not valid UTF-8")),
                },
                other => push_key_of(other, w, msgpack_value_to_json),
            },
            msgpack_value_to_json,
        )?,
        V::Ext(kind, _) => {
            return Err(decode_err(
                "msgpack",
                format!("extension type {kind} is not used by WAMP"),
            ))
        }
    }
    Ok(())
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
    attachments: Option<&mut Vec<Attachment>>,
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

    #[test]
    fn msgpack_matches_the_spec_vector() {
        let wire = hex("9530ce00773bf780b6636f6d2e6d796170702e6d7970726f6365647572653191ad48656c6c6f2c20776f726c6421");
        assert_eq!(json_to_msgpack(CALL, &mut vec![]).unwrap(), wire);
        assert_eq!(msgpack_to_json(&wire, None).unwrap(), CALL);
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
        assert_eq!(msgpack_to_json(&mp, None).unwrap(), json);
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
                msgpack_to_json as fn(&[u8], Option<&mut Vec<Attachment>>) -> _,
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
            msgpack_to_json(&json_to_msgpack(json, &mut vec![]).unwrap(), None).unwrap(),
            json
        );
        assert_eq!(
            cbor_to_json(&json_to_cbor(json, &mut vec![]).unwrap(), None).unwrap(),
            json
        );
        // float32 from another peer is accepted.
        let mut f32_msg = vec![0x91, 0xca];
        f32_msg.extend_from_slice(&1.5f32.to_be_bytes());
        assert_eq!(msgpack_to_json(&f32_msg, None).unwrap(), "[1.5]");
    }

    #[test]
    fn non_string_map_keys_become_strings() {
        // msgpack {1: "a", true: "b"}
        let wire = [0x82, 0x01, 0xa1, b'a', 0xc3, 0xa1, b'b'];
        assert_eq!(
            msgpack_to_json(&wire, None).unwrap(),
            r#"{"1":"a","true":"b"}"#
        );
        // CBOR {1: "a"}
        let wire = [0xa1, 0x01, 0x61, b'a'];
        assert_eq!(cbor_to_json(&wire, None).unwrap(), r#"{"1":"a"}"#);
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        assert!(msgpack_to_json(&[0x92, 0x01], None).is_err());
        assert!(
            msgpack_to_json(&[0x91, 0xd9], None).is_err(),
            "truncated str8"
        );
        assert!(
            msgpack_to_json(&[0x90, 0x00], None).is_err(),
            "trailing bytes"
        );
        assert!(cbor_to_json(&[0x82, 0x01], None).is_err());
        assert!(cbor_to_json(&[0xff], None).is_err());
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
                msgpack_to_json as fn(&[u8], Option<&mut Vec<Attachment>>) -> _,
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
                    Bytes(big[..2000].to_vec()),
                    Bytes(big.clone()),
                    Text(long.clone())
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
                incoming.iter().all(|a| !matches!(a, Text(_))),
                "{}",
                &json[..20]
            );
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
