//! Transcoding between the engine's JSON text and MessagePack / CBOR.
//!
//! JSON cannot carry bytes or integers beyond ±(2^53-1) in a way JavaScript reads back exactly,
//! so on the JSON side they are marked strings: U+0000 + standard Base64 for bytes (the WAMP
//! convention for JSON) and U+0001 + decimal digits for big integers. Binary serializers carry
//! both natively (bin / byte string, 64-bit integers).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::Value as Json;

use super::CodecError;

/// Integers JavaScript numbers hold exactly.
const MAX_SAFE: i128 = (1 << 53) - 1;
const BYTES_MARK: char = '\u{0}';
const BIGINT_MARK: char = '\u{1}';

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

fn push_bytes(out: &mut String, b: &[u8]) {
    // "\u0000" + Base64: Base64 never needs escaping, so it goes straight into the output.
    out.reserve(10 + b.len().div_ceil(3) * 4);
    out.push_str("\"\\u0000");
    BASE64.encode_string(b, out);
    out.push('"');
}

type ToJson<T> = fn(&T, &mut String) -> Result<(), CodecError>;

fn push_list<T>(out: &mut String, items: &[T], item: ToJson<T>) -> Result<(), CodecError> {
    out.push('[');
    for (n, v) in items.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        item(v, out)?;
    }
    out.push(']');
    Ok(())
}

fn push_map<'a, T: 'a>(
    out: &mut String,
    entries: impl Iterator<Item = (&'a T, &'a T)>,
    mut key: impl FnMut(&T, &mut String) -> Result<(), CodecError>,
    value: ToJson<T>,
) -> Result<(), CodecError> {
    out.push('{');
    for (n, (k, v)) in entries.enumerate() {
        if n > 0 {
            out.push(',');
        }
        key(k, out)?;
        out.push(':');
        value(v, out)?;
    }
    out.push('}');
    Ok(())
}

/// WAMP dicts have string keys; a key of another type becomes the string of its JSON text
/// rather than failing the message.
fn push_key_of<T>(key: &T, out: &mut String, to_json: ToJson<T>) -> Result<(), CodecError> {
    let mut text = String::new();
    to_json(key, &mut text)?;
    push_quoted(out, &text);
    Ok(())
}

/// A marked string from the JSON side, as what it stands for.
enum Marked<'a> {
    Bytes(Vec<u8>),
    Int(i128),
    Text(&'a str),
}

fn unmark(s: &str) -> Marked<'_> {
    if let Some(b64) = s.strip_prefix(BYTES_MARK) {
        if let Ok(bytes) = BASE64.decode(b64) {
            return Marked::Bytes(bytes);
        }
    } else if let Some(digits) = s.strip_prefix(BIGINT_MARK) {
        if let Ok(v) = digits.parse::<i128>() {
            return Marked::Int(v);
        }
    }
    Marked::Text(s)
}

fn parse_json(json: &str, codec: &'static str) -> Result<Json, CodecError> {
    serde_json::from_str(json).map_err(|e| encode_err(codec, e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// MessagePack

pub fn msgpack_to_json(bytes: &[u8]) -> Result<String, CodecError> {
    let mut rd = bytes;
    let value =
        rmpv::decode::read_value(&mut rd).map_err(|e| decode_err("msgpack", e.to_string()))?;
    if !rd.is_empty() {
        return Err(decode_err("msgpack", "trailing bytes after the message"));
    }
    let mut out = String::with_capacity(bytes.len() + 16);
    msgpack_value_to_json(&value, &mut out)?;
    Ok(out)
}

fn msgpack_value_to_json(v: &rmpv::Value, out: &mut String) -> Result<(), CodecError> {
    use rmpv::Value as V;
    match v {
        V::Nil => out.push_str("null"),
        V::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        V::Integer(i) => {
            let n = i
                .as_i64()
                .map(i128::from)
                .or_else(|| i.as_u64().map(i128::from))
                .ok_or_else(|| decode_err("msgpack", "integer out of range"))?;
            push_integer(out, n);
        }
        V::F32(f) => push_float(out, f64::from(*f)),
        V::F64(f) => push_float(out, *f),
        V::String(s) => match s.as_str() {
            Some(s) => push_quoted(out, s),
            None => return Err(decode_err("msgpack", "a string is not valid UTF-8")),
        },
        V::Binary(b) => push_bytes(out, b),
        V::Array(items) => push_list(out, items, msgpack_value_to_json)?,
        V::Map(entries) => push_map(
            out,
            entries.iter().map(|(k, v)| (k, v)),
            |k, out| match k {
                V::String(s) => match s.as_str() {
                    Some(s) => {
                        push_quoted(out, s);
                        Ok(())
                    }
                    None => Err(decode_err("msgpack", "a map key is not valid UTF-8")),
                },
                other => push_key_of(other, out, msgpack_value_to_json),
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

pub fn json_to_msgpack(json: &str) -> Result<Vec<u8>, CodecError> {
    let value = parse_json(json, "msgpack")?;
    let mut out = Vec::with_capacity(json.len());
    write_msgpack(&value, &mut out)?;
    Ok(out)
}

fn write_msgpack(v: &Json, out: &mut Vec<u8>) -> Result<(), CodecError> {
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
        Json::String(s) => match unmark(s) {
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
        },
        Json::Array(items) => {
            e::write_array_len(out, len32(items.len())?).map_err(val)?;
            for item in items {
                write_msgpack(item, out)?;
            }
        }
        Json::Object(map) => {
            e::write_map_len(out, len32(map.len())?).map_err(val)?;
            for (k, item) in map {
                e::write_str(out, k).map_err(val)?;
                write_msgpack(item, out)?;
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

pub fn cbor_to_json(bytes: &[u8]) -> Result<String, CodecError> {
    let value: ciborium::Value =
        ciborium::de::from_reader(bytes).map_err(|e| decode_err("cbor", e.to_string()))?;
    let mut out = String::with_capacity(bytes.len() + 16);
    cbor_value_to_json(&value, &mut out)?;
    Ok(out)
}

fn cbor_value_to_json(v: &ciborium::Value, out: &mut String) -> Result<(), CodecError> {
    use ciborium::Value as V;
    match v {
        V::Null => out.push_str("null"),
        V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        V::Integer(i) => push_integer(out, i128::from(*i)),
        V::Float(f) => push_float(out, *f),
        V::Text(s) => push_quoted(out, s),
        V::Bytes(b) => push_bytes(out, b),
        V::Array(items) => push_list(out, items, cbor_value_to_json)?,
        V::Map(entries) => push_map(
            out,
            entries.iter().map(|(k, v)| (k, v)),
            |k, out| match k {
                V::Text(s) => {
                    push_quoted(out, s);
                    Ok(())
                }
                other => push_key_of(other, out, cbor_value_to_json),
            },
            cbor_value_to_json,
        )?,
        // Tags (dates, bignums, ...) are not part of WAMP; keep the tagged value.
        V::Tag(_, inner) => cbor_value_to_json(inner, out)?,
        _ => return Err(decode_err("cbor", "unsupported CBOR value")),
    }
    Ok(())
}

pub fn json_to_cbor(json: &str) -> Result<Vec<u8>, CodecError> {
    let value = json_to_cbor_value(&parse_json(json, "cbor")?)?;
    let mut out = Vec::with_capacity(json.len());
    ciborium::ser::into_writer(&value, &mut out).map_err(|e| encode_err("cbor", e.to_string()))?;
    Ok(out)
}

fn json_to_cbor_value(v: &Json) -> Result<ciborium::Value, CodecError> {
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
        Json::String(s) => match unmark(s) {
            Marked::Bytes(b) => V::Bytes(b),
            Marked::Int(i) => V::Integer(ciborium::value::Integer::try_from(i).map_err(|_| {
                encode_err("cbor", format!("the integer {i} does not fit 64 bits"))
            })?),
            Marked::Text(t) => V::Text(t.to_string()),
        },
        Json::Array(items) => V::Array(
            items
                .iter()
                .map(json_to_cbor_value)
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(map) => V::Map(
            map.iter()
                .map(|(k, item)| Ok((V::Text(k.clone()), json_to_cbor_value(item)?)))
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
        assert_eq!(json_to_msgpack(CALL).unwrap(), wire);
        assert_eq!(msgpack_to_json(&wire).unwrap(), CALL);
    }

    #[test]
    fn cbor_matches_the_spec_vector() {
        let wire = hex("8518301a00773bf7a076636f6d2e6d796170702e6d7970726f63656475726531816d48656c6c6f2c20776f726c6421");
        assert_eq!(json_to_cbor(CALL).unwrap(), wire);
        assert_eq!(cbor_to_json(&wire).unwrap(), CALL);
    }

    #[test]
    fn bytes_round_trip_as_native_binary() {
        // 10e3ff9053075c526f5fc06d4fe37cdb is "\u0000EOP/kFMHXFJvX8BtT+N82w==" in JSON.
        let json = r#"[1,"\u0000EOP/kFMHXFJvX8BtT+N82w=="]"#;
        let mp = json_to_msgpack(json).unwrap();
        assert_eq!(&mp[..4], &[0x92, 0x01, 0xc4, 0x10]);
        assert_eq!(&mp[4..], &hex("10e3ff9053075c526f5fc06d4fe37cdb")[..]);
        assert_eq!(msgpack_to_json(&mp).unwrap(), json);
        let cb = json_to_cbor(json).unwrap();
        assert_eq!(cb[2], 0x50, "CBOR byte string of 16 bytes");
        assert_eq!(cbor_to_json(&cb).unwrap(), json);
    }

    #[test]
    fn big_integers_travel_as_marked_strings_on_the_json_side() {
        let json = r#"["\u00019007199254740993","\u0001-9223372036854775808","\u000118446744073709551615",9007199254740991]"#;
        for (enc, dec) in [
            (
                json_to_msgpack as fn(&str) -> _,
                msgpack_to_json as fn(&[u8]) -> _,
            ),
            (json_to_cbor, cbor_to_json),
        ] {
            let wire = enc(json).unwrap();
            assert_eq!(dec(&wire).unwrap(), json);
        }
        assert!(json_to_msgpack(r#"["\u000118446744073709551616"]"#).is_err());
    }

    #[test]
    fn floats_strings_and_nesting() {
        let json = r#"[1.5,-0.25,"héllo ☃",{"a":[null,true,false,{}]},[]]"#;
        assert_eq!(
            msgpack_to_json(&json_to_msgpack(json).unwrap()).unwrap(),
            json
        );
        assert_eq!(cbor_to_json(&json_to_cbor(json).unwrap()).unwrap(), json);
        // float32 from another peer is accepted.
        let mut f32_msg = vec![0x91, 0xca];
        f32_msg.extend_from_slice(&1.5f32.to_be_bytes());
        assert_eq!(msgpack_to_json(&f32_msg).unwrap(), "[1.5]");
    }

    #[test]
    fn non_string_map_keys_become_strings() {
        // msgpack {1: "a", true: "b"}
        let wire = [0x82, 0x01, 0xa1, b'a', 0xc3, 0xa1, b'b'];
        assert_eq!(msgpack_to_json(&wire).unwrap(), r#"{"1":"a","true":"b"}"#);
        // CBOR {1: "a"}
        let wire = [0xa1, 0x01, 0x61, b'a'];
        assert_eq!(cbor_to_json(&wire).unwrap(), r#"{"1":"a"}"#);
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        assert!(msgpack_to_json(&[0x92, 0x01]).is_err());
        assert!(msgpack_to_json(&[0x91, 0xd9]).is_err(), "truncated str8");
        assert!(msgpack_to_json(&[0x90, 0x00]).is_err(), "trailing bytes");
        assert!(cbor_to_json(&[0x82, 0x01]).is_err());
        assert!(cbor_to_json(&[0xff]).is_err());
    }
}
