//! CBOR <-> the JSON text.

use super::attachments::{attached_len, Outgoing, ReceivedValue};
use serde_json::Value as Json;

use super::json::{
    parse_json, push_bytes, push_key_of, push_list, push_map, to_json_text, JsonOut,
};
use super::markers::{attached_str, push_float, push_integer, push_quoted, unmark, Marked};
use super::{decode_err, encode_err, CodecError, MAX_NESTING};

/// CBOR -> JSON text; with `attachments`, large byte values go there instead of inline.
pub fn cbor_to_json(
    bytes: &[u8],
    attachments: Option<&mut Vec<ReceivedValue>>,
) -> Result<String, CodecError> {
    let mut value: ciborium::Value =
        ciborium::de::from_reader_with_recursion_limit(bytes, MAX_NESTING).map_err(
            |e| match e {
                ciborium::de::Error::RecursionLimitExceeded => CodecError::TooDeep {
                    codec: "cbor",
                    limit: MAX_NESTING,
                },
                e => decode_err("cbor", e.to_string()),
            },
        )?;
    to_json_text(&mut value, bytes.len(), attachments, cbor_value_to_json)
}

pub(super) fn cbor_value_to_json(
    v: &mut ciborium::Value,
    w: &mut JsonOut,
) -> Result<(), CodecError> {
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
                other if is_container(other) => {
                    Err(decode_err("cbor", "a map key is a list or map"))
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

/// A list or map, tagged or not: never a map key (see `msgpack`'s key for why).
fn is_container(v: &ciborium::Value) -> bool {
    use ciborium::Value as V;
    match v {
        V::Array(_) | V::Map(_) => true,
        V::Tag(_, inner) => is_container(inner),
        _ => false,
    }
}

pub fn json_to_cbor(json: &str, attachments: &mut Outgoing) -> Result<Vec<u8>, CodecError> {
    let value = json_to_cbor_value(&parse_json(json, "cbor")?, attachments)?;
    let mut out = Vec::with_capacity(json.len() + attached_len(attachments));
    ciborium::ser::into_writer(&value, &mut out).map_err(|e| encode_err("cbor", e.to_string()))?;
    Ok(out)
}

pub(super) fn json_to_cbor_value(
    v: &Json,
    att: &mut Outgoing,
) -> Result<ciborium::Value, CodecError> {
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
            Marked::Bytes(b) => V::Bytes(b.into()),
            Marked::Int(i) => V::Integer(ciborium::value::Integer::try_from(i).map_err(|_| {
                CodecError::IntegerTooLarge {
                    codec: "cbor",
                    value: i,
                }
            })?),
            Marked::Text(t) => V::Text(t.to_string()),
            Marked::AttachedText(t) => V::Text(attached_str(&t, "cbor")?.to_string()),
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
    use crate::wamp::codec::tests::{hex, CALL};
    #[test]
    fn cbor_matches_the_spec_vector() {
        let wire = hex("8518301a00773bf7a076636f6d2e6d796170702e6d7970726f63656475726531816d48656c6c6f2c20776f726c6421");
        assert_eq!(json_to_cbor(CALL, &mut vec![]).unwrap(), wire);
        assert_eq!(cbor_to_json(&wire, None).unwrap(), CALL);
    }
}
