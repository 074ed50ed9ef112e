//! WAMP message envelopes on the JSON wire. Payloads (`Arguments`, `ArgumentsKw`) and
//! `Details`/`Options` stay raw JSON text: the engine only reads the fields it needs, so a
//! payload is never decoded and re-encoded on its way between the router and JavaScript.

use serde::Deserialize;
use serde_json::value::RawValue;
use smallvec::SmallVec;

use super::error::ProtocolViolation;

pub const HELLO: u64 = 1;
pub const WELCOME: u64 = 2;
pub const ABORT: u64 = 3;
pub const CHALLENGE: u64 = 4;
pub const AUTHENTICATE: u64 = 5;
pub const GOODBYE: u64 = 6;
pub const ERROR: u64 = 8;
pub const PUBLISH: u64 = 16;
pub const PUBLISHED: u64 = 17;
pub const SUBSCRIBE: u64 = 32;
pub const SUBSCRIBED: u64 = 33;
pub const UNSUBSCRIBE: u64 = 34;
pub const UNSUBSCRIBED: u64 = 35;
pub const EVENT: u64 = 36;
pub const CALL: u64 = 48;
pub const CANCEL: u64 = 49;
pub const RESULT: u64 = 50;
pub const REGISTER: u64 = 64;
pub const REGISTERED: u64 = 65;
pub const UNREGISTER: u64 = 66;
pub const UNREGISTERED: u64 = 67;
pub const INVOCATION: u64 = 68;
pub const INTERRUPT: u64 = 69;
pub const YIELD: u64 = 70;

/// Largest WAMP id (2^53).
pub const MAX_ID: u64 = 1 << 53;

pub fn type_name(t: u64) -> &'static str {
    match t {
        HELLO => "HELLO",
        WELCOME => "WELCOME",
        ABORT => "ABORT",
        CHALLENGE => "CHALLENGE",
        AUTHENTICATE => "AUTHENTICATE",
        GOODBYE => "GOODBYE",
        ERROR => "ERROR",
        PUBLISH => "PUBLISH",
        PUBLISHED => "PUBLISHED",
        SUBSCRIBE => "SUBSCRIBE",
        SUBSCRIBED => "SUBSCRIBED",
        UNSUBSCRIBE => "UNSUBSCRIBE",
        UNSUBSCRIBED => "UNSUBSCRIBED",
        EVENT => "EVENT",
        CALL => "CALL",
        CANCEL => "CANCEL",
        RESULT => "RESULT",
        REGISTER => "REGISTER",
        REGISTERED => "REGISTERED",
        UNREGISTER => "UNREGISTER",
        UNREGISTERED => "UNREGISTERED",
        INVOCATION => "INVOCATION",
        INTERRUPT => "INTERRUPT",
        YIELD => "YIELD",
        _ => "unknown",
    }
}

/// A message split into its top-level elements, each still raw JSON text.
pub struct Parts<'a> {
    /// Inline up to 8 (every WAMP message the engine reads has at most 7), so parsing a
    /// message allocates nothing.
    pub items: SmallVec<[&'a str; 8]>,
    pub kind: u64,
}

fn violation(msg: impl Into<String>) -> ProtocolViolation {
    ProtocolViolation::new(msg)
}

impl<'a> Parts<'a> {
    /// Splits a message from a peer, which must be JSON throughout (a text that is not stays a
    /// protocol violation and never reaches JavaScript).
    pub fn parse(text: &'a str) -> Result<Self, ProtocolViolation> {
        let raw: SmallVec<[&RawValue; 8]> = serde_json::from_str(text)
            .map_err(|e| violation(format!("message is not a JSON array: {e}")))?;
        Self::with_kind(raw.iter().map(|v| v.get()).collect())
    }

    /// Splits a command that our own JavaScript wrote with `JSON.stringify`: only the array's
    /// structure is scanned (see [`split_trusted`]), its elements are not validated: serde_json's
    /// full parse of every outgoing call, publish and yield bought nothing for text we wrote.
    pub fn parse_trusted(text: &'a str) -> Result<Self, ProtocolViolation> {
        let items = split_trusted(text)
            .ok_or_else(|| violation(format!("message is not a JSON array: {}", truncate(text))))?;
        Self::with_kind(items)
    }

    fn with_kind(items: SmallVec<[&'a str; 8]>) -> Result<Self, ProtocolViolation> {
        let first = *items
            .first()
            .ok_or_else(|| violation("empty message (no message type)"))?;
        let kind = parse_u64(first)
            .ok_or_else(|| violation(format!("message type is not an integer: {first}")))?;
        Ok(Parts { items, kind })
    }

    pub fn name(&self) -> &'static str {
        type_name(self.kind)
    }

    // `len` and `is_empty` are for the router's core; the client reads `items` directly.
    #[allow(dead_code)]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    #[allow(dead_code)]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Checks the element count against the message's layout.
    pub fn expect_len(&self, min: usize, max: usize) -> Result<(), ProtocolViolation> {
        let n = self.items.len();
        if n < min || n > max {
            let want = if min == max {
                format!("{min}")
            } else {
                format!("{min} to {max}")
            };
            return Err(violation(format!(
                "{} has {n} elements, expected {want}",
                self.name()
            )));
        }
        Ok(())
    }

    pub fn raw(&self, i: usize) -> Option<&'a str> {
        self.items.get(i).copied()
    }

    fn field(&self, i: usize, what: &str) -> Result<&'a str, ProtocolViolation> {
        self.raw(i)
            .ok_or_else(|| violation(format!("{} lacks its {what}", self.name())))
    }

    /// An id in [0, 2^53]; 0 only appears in revocation forms.
    pub fn id(&self, i: usize, what: &str) -> Result<u64, ProtocolViolation> {
        let raw = self.field(i, what)?;
        match parse_u64(raw) {
            Some(v) if v <= MAX_ID => Ok(v),
            _ => Err(violation(format!(
                "{} has an invalid {what}: {raw} (must be an integer in [0, 2^53])",
                self.name()
            ))),
        }
    }

    /// A session, request, subscription, registration or publication id: the spec draws them
    /// from [1, 2^53], so 0 (or anything past 2^53) from a peer is a protocol violation.
    pub fn nonzero_id(&self, i: usize, what: &str) -> Result<u64, ProtocolViolation> {
        let raw = self.field(i, what)?;
        match parse_u64(raw) {
            Some(v) if (1..=MAX_ID).contains(&v) => Ok(v),
            _ => Err(violation(format!(
                "{} has an invalid {what}: {} (must be an integer in [1, 2^53])",
                self.name(),
                truncate(raw)
            ))),
        }
    }

    pub fn dict(&self, i: usize, what: &str) -> Result<&'a str, ProtocolViolation> {
        let raw = self.field(i, what)?;
        if raw.starts_with('{') {
            Ok(raw)
        } else {
            Err(violation(format!(
                "{} {what} must be a dict, got {}",
                self.name(),
                truncate(raw)
            )))
        }
    }

    /// The raw JSON string literal (quotes included), after checking that it is a string.
    pub fn string_raw(&self, i: usize, what: &str) -> Result<&'a str, ProtocolViolation> {
        let raw = self.field(i, what)?;
        if raw.starts_with('"') {
            Ok(raw)
        } else {
            Err(violation(format!(
                "{} {what} must be a string, got {}",
                self.name(),
                truncate(raw)
            )))
        }
    }

    pub fn string(&self, i: usize, what: &str) -> Result<String, ProtocolViolation> {
        let raw = self.string_raw(i, what)?;
        serde_json::from_str(raw)
            .map_err(|_| violation(format!("{} {what} is not a valid string", self.name())))
    }

    /// Optional trailing `Arguments|list` and `ArgumentsKw|dict` starting at index `i`.
    pub fn payload(&self, i: usize) -> Result<Payload<'a>, ProtocolViolation> {
        let args = match self.raw(i) {
            None => None,
            Some(raw) if raw.starts_with('[') => Some(raw),
            Some(raw) => {
                return Err(violation(format!(
                    "{} Arguments must be a list, got {}",
                    self.name(),
                    truncate(raw)
                )))
            }
        };
        let kwargs = match self.raw(i + 1) {
            None => None,
            Some(raw) if raw.starts_with('{') => Some(raw),
            Some(raw) => {
                return Err(violation(format!(
                    "{} ArgumentsKw must be a dict, got {}",
                    self.name(),
                    truncate(raw)
                )))
            }
        };
        Ok(Payload { args, kwargs })
    }
}

/// The top-level elements of a JSON array written by our own JavaScript (`JSON.stringify`), found
/// by a scan of its structure alone: strings (with their escapes) and nested arrays and objects
/// are skipped over, nothing inside them is checked. `None` when the text is not shaped like an
/// array. Only for trusted text: what a peer sends goes through serde_json (see
/// [`Parts::parse`]), which rejects anything that is not JSON.
fn split_trusted(text: &str) -> Option<SmallVec<[&str; 8]>> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'[') {
        return None;
    }
    i = skip_ws(b, i + 1);
    let mut items = SmallVec::new();
    if b.get(i) == Some(&b']') {
        return (skip_ws(b, i + 1) == b.len()).then_some(items);
    }
    loop {
        let end = value_end(b, i)?;
        // `i` and `end` are next to ASCII bytes (or at the text's end), so on char boundaries.
        items.push(text.get(i..end)?);
        i = skip_ws(b, end);
        match b.get(i)? {
            b',' => i = skip_ws(b, i + 1),
            b']' => return (skip_ws(b, i + 1) == b.len()).then_some(items),
            _ => return None,
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// The end (exclusive) of the value starting at `b[i]`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i + 1),
        b'[' | b'{' => {
            let mut depth = 0usize;
            let mut j = i;
            while let Some(&c) = b.get(j) {
                match c {
                    b'"' => {
                        j = string_end(b, j + 1)?;
                        continue;
                    }
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            // A number, `true`, `false` or `null`.
            let len = b[i..]
                .iter()
                .position(
                    |c| !matches!(c, b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'-' | b'+' | b'.'),
                )
                .unwrap_or(b.len() - i);
            (len > 0).then_some(i + len)
        }
    }
}

/// The end (exclusive, after the closing quote) of the string whose contents start at `b[i]`.
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let k = i + memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
        if b[k] == b'"' {
            return Some(k + 1);
        }
        // An escape: the byte after the backslash is never the string's end.
        i = k + 2;
    }
}

/// `serde_json::from_str::<u64>(raw)` for the ids and kinds of messages: plain digits (no sign,
/// leading zero, fraction or exponent) of at most 16 digits are read here; anything else goes
/// to serde_json, so what is accepted and rejected is the same.
fn parse_u64(raw: &str) -> Option<u64> {
    let b = raw.as_bytes();
    if !b.is_empty() && b.len() <= 16 && (b[0] != b'0' || b.len() == 1) {
        if let Some(v) = decimal(b) {
            return Some(v);
        }
    }
    serde_json::from_str(raw).ok()
}

/// The value of 1 to 16 ASCII digits; `None` when a byte is not a digit.
fn decimal(b: &[u8]) -> Option<u64> {
    let mut v = 0u64;
    let mut digits = true;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        digits &= d < 10;
        // At most 16 bytes of at most 255 each: below 2^64.
        v = v * 10 + u64::from(d);
    }
    digits.then_some(v)
}

/// Raw payload of a message; `None` where the element was omitted on the wire.
#[derive(Debug, Clone, Copy, Default)]
pub struct Payload<'a> {
    pub args: Option<&'a str>,
    pub kwargs: Option<&'a str>,
}

impl Payload<'_> {
    /// The event for JavaScript: what `head` writes (`[kind,ids...,details`, at most
    /// `head_len` bytes), then `,args(,kwargs)]`, in one string sized for all of it. For the
    /// events of every call and publication: `head` writes its numbers with [`push_u64`]
    /// instead of going through `format_args!`, whose formatting machinery was ~7% of the
    /// engine thread per call.
    pub fn event_with(&self, head_len: usize, head: impl FnOnce(&mut String)) -> String {
        let size = head_len + self.args.map_or(0, str::len) + self.kwargs.map_or(0, str::len) + 3;
        let mut ev = String::with_capacity(size);
        head(&mut ev);
        self.append_to(&mut ev);
        ev.push(']');
        ev
    }

    /// `[n0,n1,...,details,args(,kwargs)]`: the shape of EVENT, RESULT and INVOCATION, numbers
    /// first (the kind, then ids), then a Details dict already in JSON text.
    pub fn event(&self, numbers: &[u64], details: &str) -> String {
        // 20 digits and a comma per number at the most, and the opening bracket.
        self.event_with(1 + 21 * numbers.len() + details.len(), |ev| {
            ev.push('[');
            for &n in numbers {
                push_u64(ev, n);
                ev.push(',');
            }
            ev.push_str(details);
        })
    }

    /// Appends `,args(,kwargs)` to a JSON array under construction.
    pub fn append_to(&self, out: &mut String) {
        if let Some(a) = self.args {
            out.push(',');
            out.push_str(a);
            if let Some(k) = self.kwargs {
                out.push(',');
                out.push_str(k);
            }
        }
    }
}

/// Appends the decimal digits of `n` (the kinds, ids and handles of messages and events).
pub fn push_u64(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// Keys of `Details`/`Options` dicts that the engine acts on. Unknown keys are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct Flags {
    #[serde(default)]
    pub progress: bool,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub subscription: Option<u64>,
    #[serde(default)]
    pub registration: Option<u64>,
    #[serde(default)]
    pub mode: Option<String>,
}

impl Flags {
    /// Reads the flags from a raw dict; values of the wrong type count as absent.
    pub fn read(raw: &str) -> Flags {
        // The typed parse fails when a known key has an unexpected type (say a numeric `message`);
        // fall back to a field-by-field look so that one odd key does not hide the others.
        serde_json::from_str(raw).unwrap_or_else(|_| {
            let map: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(raw).unwrap_or_default();
            Flags {
                progress: map
                    .get("progress")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false),
                message: map
                    .get("message")
                    .and_then(|v| v.as_str())
                    .map(String::from),
                reason: map.get("reason").and_then(|v| v.as_str()).map(String::from),
                subscription: map.get("subscription").and_then(|v| v.as_u64()),
                registration: map.get("registration").and_then(|v| v.as_u64()),
                mode: map.get("mode").and_then(|v| v.as_str()).map(String::from),
            }
        })
    }
}

/// JSON string literal for `s`.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

pub fn truncate(raw: &str) -> String {
    const MAX: usize = 80;
    if raw.len() <= MAX {
        raw.to_string()
    } else {
        let mut end = MAX;
        while !raw.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &raw[..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_call_keeping_payload_raw() {
        let p = Parts::parse(r#"[48, 7814135, {}, "com.myapp.myprocedure1", ["Hello, world!"]]"#)
            .unwrap();
        assert_eq!(p.kind, CALL);
        assert_eq!(p.id(1, "request").unwrap(), 7814135);
        assert_eq!(p.string(3, "procedure").unwrap(), "com.myapp.myprocedure1");
        let pl = p.payload(4).unwrap();
        assert_eq!(pl.args, Some(r#"["Hello, world!"]"#));
        assert_eq!(pl.kwargs, None);
    }

    #[test]
    fn rejects_malformed_input() {
        assert!(Parts::parse("").is_err());
        assert!(Parts::parse("{}").is_err());
        assert!(Parts::parse("[]").is_err());
        assert!(Parts::parse(r#"["x"]"#).is_err());
        assert!(Parts::parse("[1, 2").is_err());
    }

    #[test]
    fn ids_are_bounded_by_2_pow_53() {
        let p = Parts::parse("[33, 9007199254740992, 9007199254740993, -1, 1.5]").unwrap();
        assert_eq!(p.id(1, "request").unwrap(), MAX_ID);
        assert!(p.id(2, "subscription").is_err());
        assert!(p.id(3, "x").is_err());
        assert!(p.id(4, "x").is_err());
        assert!(p.id(9, "x").is_err());
    }

    #[test]
    fn payload_types_are_checked() {
        let p = Parts::parse(r#"[50, 1, {}, {"a":1}]"#).unwrap();
        assert!(p.payload(3).is_err());
        let p = Parts::parse(r#"[50, 1, {}, [], []]"#).unwrap();
        assert!(p.payload(3).is_err());
        let p = Parts::parse(r#"[50, 1, {}, [], {"a":1}]"#).unwrap();
        let pl = p.payload(3).unwrap();
        let mut out = String::from("[0");
        pl.append_to(&mut out);
        assert_eq!(out, r#"[0,[],{"a":1}"#);
        let ev = pl.event(&[36, 7], "{}");
        assert_eq!(ev, r#"[36,7,{},[],{"a":1}]"#);
    }

    #[test]
    fn events_written_with_push_u64_match_the_formatted_ones() {
        let p = Parts::parse(r#"[36, 1, 2, {}, ["x"], {"k":[1]}]"#).unwrap();
        let pl = p.payload(4).unwrap();
        for (sub, publication) in [(0, 1), (7, MAX_ID), (u64::MAX, 10)] {
            let formatted = format!(r#"[36,{sub},{publication},{{}},["x"],{{"k":[1]}}]"#);
            let written = pl.event(&[EVENT, sub, publication], "{}");
            assert_eq!(written, formatted);
        }
        let none = Payload::default().event_with(0, |ev| ev.push_str("[50,1,{}"));
        assert_eq!(none, "[50,1,{}]");
    }

    /// The elements `parse_trusted` finds, as text.
    fn trusted(text: &str) -> Option<Vec<&str>> {
        split_trusted(text).map(|items| items.into_vec())
    }

    #[test]
    fn the_trusted_splitter_finds_the_top_level_elements() {
        assert_eq!(
            trusted(r#"[48,7,{},"com.x",["a"],{"k":1}]"#).unwrap(),
            ["48", "7", "{}", r#""com.x""#, r#"["a"]"#, r#"{"k":1}"#]
        );
        // Escaped quotes and backslashes inside strings, at the top level and nested.
        assert_eq!(
            trusted(r#"[16,0,{},"a\"b",["\\",["\\\""],"]"],{"x\\":"}{\"]"}]"#).unwrap(),
            [
                "16",
                "0",
                "{}",
                r#""a\"b""#,
                r#"["\\",["\\\""],"]"]"#,
                r#"{"x\\":"}{\"]"}"#
            ]
        );
        // Brackets and commas inside strings, deep nesting, empty containers and strings.
        assert_eq!(
            trusted(r#"[1,[[[],{}],"],[{"],{"a":[1,{"b":"}"}]},[],{},""]"#).unwrap(),
            [
                "1",
                r#"[[[],{}],"],[{"]"#,
                r#"{"a":[1,{"b":"}"}]}"#,
                "[]",
                "{}",
                r#""""#
            ]
        );
        // Whitespace between elements is not part of them; scalars of every kind.
        assert_eq!(
            trusted(" [ 70 ,\n\t11 , { } , [ 1 , 2 ] , true,false , null,-1.5e3 ] \n").unwrap(),
            [
                "70",
                "11",
                "{ }",
                "[ 1 , 2 ]",
                "true",
                "false",
                "null",
                "-1.5e3"
            ]
        );
        // Non-ASCII text inside strings.
        assert_eq!(
            trusted(r#"[16,0,{},"tópico",["ü\u00fc€"]]"#).unwrap(),
            ["16", "0", "{}", r#""tópico""#, r#"["ü\u00fc€"]"#]
        );
        assert_eq!(trusted("[]").unwrap(), Vec::<&str>::new());
        assert_eq!(trusted(" [ ] ").unwrap(), Vec::<&str>::new());
    }

    #[test]
    fn the_trusted_splitter_rejects_what_is_not_shaped_like_an_array() {
        for bad in [
            "",
            " ",
            "not json",
            "{}",
            "48",
            "[",
            "[1",
            "[1,",
            "[1,]",
            "[,1]",
            "[1 2]",
            "[1]]",
            "[1] x",
            r#"["abc]"#,
            r#"["abc\"]"#,
            r#"["abc\"#,
            "[[1,2]",
            r#"[{"a":"}"]"#,
            "[1,:]",
        ] {
            assert_eq!(trusted(bad), None, "{bad:?}");
        }
        assert!(Parts::parse_trusted("[]").is_err());
        assert!(Parts::parse_trusted(r#"["x"]"#).is_err());
        assert!(Parts::parse_trusted("[1.0]").is_err());
        assert!(Parts::parse_trusted("not json").is_err());
    }

    #[test]
    fn trusted_and_validated_splits_agree_on_json() {
        for text in [
            r#"[48, 7814135, {}, "com.myapp.myprocedure1", ["Hello, world!"]]"#,
            r#"[16,0,{"exclude_me":false},"a\"b\\",[{"x":["]"]}],{"k":"{"}]"#,
            r#"[70,11,{"progress":true},[1,[2,[3]]],{}]"#,
            "[ 1 , [ ] , { } ]",
        ] {
            let a = Parts::parse(text).unwrap();
            let b = Parts::parse_trusted(text).unwrap();
            assert_eq!(a.items, b.items, "{text}");
            assert_eq!(a.kind, b.kind);
        }
    }

    #[test]
    fn ids_read_as_serde_json_reads_them() {
        for raw in [
            "0",
            "1",
            "7",
            "10",
            "1234567890123456",
            "9007199254740991",
            "9007199254740992",
            "9007199254740993",
            "9999999999999999",
            "12345678901234567",
            "18446744073709551615",
            "18446744073709551616",
            "00",
            "01",
            "007",
            "-1",
            "-0",
            "+1",
            "1.0",
            "1.5",
            "1e3",
            "1E3",
            "0x10",
            "1a",
            "a1",
            "",
            " 1",
            "1 ",
            "\"1\"",
            "true",
            "null",
            "[1]",
            "１",
        ] {
            assert_eq!(
                parse_u64(raw),
                serde_json::from_str::<u64>(raw).ok(),
                "{raw:?}"
            );
        }
        let p = Parts::parse_trusted("[33,9007199254740992,9007199254740993,0,-1,1.0,1e3,01,2]")
            .unwrap();
        assert_eq!(p.id(1, "x").unwrap(), MAX_ID);
        assert_eq!(p.nonzero_id(1, "x").unwrap(), MAX_ID);
        let err = p.id(2, "subscription").unwrap_err();
        assert_eq!(
            err.0,
            "SUBSCRIBED has an invalid subscription: 9007199254740993 (must be an integer in [0, 2^53])"
        );
        assert!(p.nonzero_id(2, "x").is_err());
        assert_eq!(p.id(3, "x").unwrap(), 0);
        let err = p.nonzero_id(3, "request id").unwrap_err();
        assert_eq!(
            err.0,
            "SUBSCRIBED has an invalid request id: 0 (must be an integer in [1, 2^53])"
        );
        for i in 4..=7 {
            assert!(p.id(i, "x").is_err(), "{:?}", p.raw(i));
            assert!(p.nonzero_id(i, "x").is_err(), "{:?}", p.raw(i));
        }
        assert_eq!(p.nonzero_id(8, "x").unwrap(), 2);
        assert_eq!(
            Parts::parse_trusted("[01]").err().map(|v| v.0),
            Some("message type is not an integer: 01".to_string())
        );
    }

    #[test]
    fn ids_of_every_length_read_as_serde_json_reads_them() {
        // Numbers of 1 to 20 digits (a fixed pseudo-random sequence), each also with one of its
        // bytes replaced by a near-digit or another non-digit.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for len in 1..=20usize {
            for _ in 0..300 {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let digits: String = (0..len)
                    .map(|i| char::from(b'0' + ((x >> (i % 60)) as u8 ^ i as u8) % 10))
                    .collect();
                assert_eq!(
                    parse_u64(&digits),
                    serde_json::from_str::<u64>(&digits).ok(),
                    "{digits}"
                );
                let at = (x >> 40) as usize % len;
                for c in ['/', ':', '.', 'e', '-', '+', ' ', 'a', '\u{7f}', 'é', '０'] {
                    let mut bad = digits.clone();
                    bad.replace_range(at..at + 1, c.encode_utf8(&mut [0; 4]));
                    assert_eq!(
                        parse_u64(&bad),
                        serde_json::from_str::<u64>(&bad).ok(),
                        "{bad:?}"
                    );
                }
            }
        }
        for (raw, v) in [
            ("99999999", 99_999_999),
            ("100000000", 100_000_000),
            ("1234567812345678", 1_234_567_812_345_678),
            ("9999999999999999", 9_999_999_999_999_999),
            ("999999999999999", 999_999_999_999_999),
        ] {
            assert_eq!(parse_u64(raw), Some(v));
        }
    }

    #[test]
    fn flags_tolerate_odd_types() {
        let f = Flags::read(r#"{"progress": true, "message": 5, "reason": "wamp.x"}"#);
        assert!(f.progress);
        assert_eq!(f.message, None);
        assert_eq!(f.reason.as_deref(), Some("wamp.x"));
        assert!(!Flags::read("{}").progress);
    }
}
