//! Round trips through every serializer.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use super::cbor::{cbor_to_json, json_to_cbor};
use super::json::inline_attachments;
use super::msgpack::{json_to_msgpack, msgpack_to_json};
use super::{Attachment, CodecError, Outgoing, ReceivedValue};

pub(super) fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

pub(super) const CALL: &str = r#"[48,7814135,{},"com.myapp.myprocedure1",["Hello, world!"]]"#;

pub(super) fn mp_to_json(
    wire: &[u8],
    attachments: Option<&mut Vec<ReceivedValue>>,
) -> Result<String, CodecError> {
    msgpack_to_json(&bytes::Bytes::copy_from_slice(wire), attachments)
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
fn large_bytes_and_strings_travel_as_attachments_beside_the_text() {
    use Attachment::Bytes;
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
            Some(Bytes(big.clone().into())),
            Some(Bytes(big[..2000].to_vec().into())),
            Some(Attachment::text(long.clone())),
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
fn a_placeholder_without_its_attachment_is_an_error() {
    let mut none: Outgoing = vec![Some(Attachment::Bytes(vec![1].into()))];
    for json in [r#"["\u0000#1"]"#, r#"["\u0000#x"]"#] {
        assert!(json_to_msgpack(json, &mut none.clone()).is_err(), "{json}");
        assert!(json_to_cbor(json, &mut none.clone()).is_err(), "{json}");
        assert!(
            inline_attachments(json.into(), &mut none).is_err(),
            "{json}"
        );
    }
    // Used twice: the second use has nothing left.
    let mut one: Outgoing = vec![Some(Attachment::Bytes(vec![1].into()))];
    assert!(json_to_msgpack(r#"["\u0000#0","\u0000#0"]"#, &mut one).is_err());
}

#[test]
fn errors_say_whose_fault_they_are() {
    use super::Codec;
    use crate::wamp::transport::Frame;
    let mut none: Outgoing = vec![];
    assert_eq!(
        Codec::MsgPack
            .encode(r#"["\u0000#3"]"#.into(), &mut none)
            .unwrap_err(),
        CodecError::MissingAttachment {
            codec: "msgpack",
            index: "3".into()
        }
    );
    assert_eq!(
        Codec::Cbor
            .encode(r#"["\u000118446744073709551616"]"#.into(), &mut none)
            .unwrap_err(),
        CodecError::IntegerTooLarge {
            codec: "cbor",
            value: 1 << 64
        }
    );
    let text = Codec::Cbor.decode(Frame::Text("[]".into()), None);
    assert_eq!(text.unwrap_err(), CodecError::TextFrame { codec: "cbor" });
    let deep = [vec![0x91; 200], vec![0xc0]].concat();
    assert!(matches!(
        Codec::MsgPack.decode(Frame::Binary(deep.into()), None),
        Err(CodecError::TooDeep { limit: 128, .. })
    ));
}

/// 100k nested lists (or CBOR tags) under an EVENT, in each serializer: a clear error, no stack
/// overflow.
#[test]
fn deep_nesting_is_refused_in_every_serializer() {
    use super::{Codec, MAX_NESTING};
    use crate::wamp::transport::Frame;
    const DEPTH: usize = 100_000;
    let too_deep = |codec: &'static str| CodecError::TooDeep {
        codec,
        limit: MAX_NESTING,
    };
    let json = format!("[36,5,1,{{}},[{}{}]]", "[".repeat(DEPTH), "]".repeat(DEPTH));
    assert_eq!(
        Codec::Json.decode(Frame::Text(json.clone()), None),
        Err(too_deep("json"))
    );
    assert_eq!(
        Codec::Json.decode(
            Frame::Binary(json.into_bytes().into()),
            Some(&mut Vec::new())
        ),
        Err(too_deep("json"))
    );
    let mut mp = vec![0x95, 0x24, 0x05, 0x01, 0x80];
    mp.extend(std::iter::repeat_n(0x91, DEPTH));
    mp.push(0xc0);
    assert_eq!(
        Codec::MsgPack.decode(Frame::Binary(mp.into()), None),
        Err(too_deep("msgpack"))
    );
    let mut cbor = vec![0x85, 0x18, 0x24, 0x05, 0x01, 0xa0];
    cbor.extend(std::iter::repeat_n(0x81, DEPTH));
    cbor.push(0xf6);
    assert_eq!(
        Codec::Cbor.decode(Frame::Binary(cbor.into()), None),
        Err(too_deep("cbor"))
    );
    // Tags wrap a value without a list or map: they must not recurse without bound either.
    let mut tags = vec![0x85, 0x18, 0x24, 0x05, 0x01, 0xa0, 0x81];
    tags.extend(std::iter::repeat_n(0xc6, DEPTH));
    tags.push(0xf6);
    assert!(Codec::Cbor
        .decode(Frame::Binary(tags.into()), None)
        .is_err());
}

#[test]
fn nesting_up_to_the_limit_and_brackets_in_strings_are_fine() {
    use super::{Codec, MAX_NESTING};
    use crate::wamp::transport::Frame;
    // The message's own list counts as one level.
    let inner = MAX_NESTING - 2;
    let json = format!("[36,5,1,{{}},[{}{}]]", "[".repeat(inner), "]".repeat(inner));
    assert!(Codec::Json.decode(Frame::Text(json), None).is_ok());
    let brackets = format!(
        r#"[36,5,1,{{}},["{}\"{}"]]"#,
        "[".repeat(1000),
        "{".repeat(1000)
    );
    assert!(Codec::Json.decode(Frame::Text(brackets), None).is_ok());
    // Many lists side by side: more `[` than the limit, none deep.
    let wide = format!("[36,5,1,{{}},[{}[]]]", "[],".repeat(1000));
    assert!(Codec::Json.decode(Frame::Text(wide), None).is_ok());
    // One level past the limit, in a text with no other `[` or `{`.
    let past = format!("[36,5,1,{{}},[{}{}]]", "[".repeat(inner), "]".repeat(inner));
    let past = past.replacen("[36", "[[36", 1) + "]";
    assert!(Codec::Json.decode(Frame::Text(past), None).is_err());
}

/// Maps keyed by maps keyed by maps ...: each level used to quote the text of the level below,
/// doubling its backslashes, so 60 levels took 2^60 bytes. A list or map key is refused.
#[test]
fn container_map_keys_are_refused_not_quoted_level_by_level() {
    use super::Codec;
    use crate::wamp::transport::Frame;
    let mut mp = vec![0x93, 0x24, 0x01];
    mp.extend(std::iter::repeat_n(0x81, 60));
    mp.push(0xc0);
    let err = Codec::MsgPack
        .decode(Frame::Binary(mp.into()), None)
        .unwrap_err();
    assert!(
        err.to_string().contains("a map key is a list or map"),
        "{err}"
    );
    let mut cbor = vec![0x83, 0x18, 0x24, 0x01];
    cbor.extend(std::iter::repeat_n(0xa1, 60));
    // The innermost key, then the value of each level.
    cbor.extend(std::iter::repeat_n(0xf6, 61));
    let err = Codec::Cbor
        .decode(Frame::Binary(cbor.into()), None)
        .unwrap_err();
    assert!(
        err.to_string().contains("a map key is a list or map"),
        "{err}"
    );
    // Scalar keys still become strings.
    let json = mp_to_json(&[0x92, 0x24, 0x81, 0x07, 0xc3], None).unwrap();
    assert_eq!(json, r#"[36,{"7":true}]"#);
}
