//! MessagePack <-> the JSON text.

use bytes::Bytes;
use serde_json::Value as Json;

use super::attachments::{attached_len, share_or_copy, Outgoing, ReceivedValue};
use super::json::{parse_json, push_seq, JsonOut};
use super::markers::{push_base64, push_float, push_integer, push_quoted, unmark, Marked};
use super::{decode_err, encode_err, CodecError};

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
pub(super) const MSGPACK_MAX_DEPTH: usize = super::MAX_NESTING;

pub(super) struct MsgpackReader<'a> {
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
            return Err(CodecError::TooDeep {
                codec: "msgpack",
                limit: MSGPACK_MAX_DEPTH,
            });
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

    /// WAMP dicts have string keys; a scalar key of another type becomes the string of its JSON
    /// text rather than failing the message. A list or map as a key fails: quoted inside a
    /// quoted key inside ..., its text would double at each level.
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
            Some(M::FixArray(_) | M::Array16 | M::Array32 | M::FixMap(_) | M::Map16 | M::Map32) => {
                return Err(decode_err("msgpack", "a map key is a list or map"))
            }
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

pub(super) fn ext_err(kind: i8) -> CodecError {
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

pub(super) fn write_msgpack(
    v: &Json,
    out: &mut Vec<u8>,
    att: &mut Outgoing,
) -> Result<(), CodecError> {
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
                    return Err(CodecError::IntegerTooLarge {
                        codec: "msgpack",
                        value: i,
                    });
                }
            }
            Marked::Text(t) => e::write_str(out, t).map_err(val)?,
            Marked::AttachedText(t) => {
                // UTF-8 already: the bytes go out as they are.
                e::write_str_len(out, len32(t.len())?).map_err(val)?;
                out.extend_from_slice(&t);
            }
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

pub(super) fn len32(n: usize) -> Result<u32, CodecError> {
    u32::try_from(n).map_err(|_| encode_err("msgpack", "a list or dict is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wamp::codec::tests::{hex, mp_to_json, CALL};
    use crate::wamp::codec::Attachment;
    #[test]
    fn msgpack_matches_the_spec_vector() {
        let wire = hex("9530ce00773bf780b6636f6d2e6d796170702e6d7970726f6365647572653191ad48656c6c6f2c20776f726c6421");
        assert_eq!(json_to_msgpack(CALL, &mut vec![]).unwrap(), wire);
        assert_eq!(mp_to_json(&wire, None).unwrap(), CALL);
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
    fn a_value_that_is_most_of_its_frame_shares_the_frame() {
        let big = vec![7u8; 5000];
        let small = vec![9u8; 1500];
        let json = r#"["\u0000#0"]"#;
        let frame = bytes::Bytes::from(
            json_to_msgpack(json, &mut vec![Some(Attachment::Bytes(big.clone().into()))]).unwrap(),
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
            Some(Attachment::Bytes(small.clone().into())),
            Some(Attachment::text("t".repeat(20_000))),
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
}
