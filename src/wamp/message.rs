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
    pub items: SmallVec<[&'a RawValue; 8]>,
    pub kind: u64,
}

fn violation(msg: impl Into<String>) -> ProtocolViolation {
    ProtocolViolation::new(msg)
}

impl<'a> Parts<'a> {
    pub fn parse(text: &'a str) -> Result<Self, ProtocolViolation> {
        let items: SmallVec<[&RawValue; 8]> = serde_json::from_str(text)
            .map_err(|e| violation(format!("message is not a JSON array: {e}")))?;
        let first = items
            .first()
            .ok_or_else(|| violation("empty message (no message type)"))?;
        let kind: u64 = serde_json::from_str(first.get())
            .map_err(|_| violation(format!("message type is not an integer: {}", first.get())))?;
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
        self.items.get(i).map(|v| v.get())
    }

    fn field(&self, i: usize, what: &str) -> Result<&'a str, ProtocolViolation> {
        self.raw(i)
            .ok_or_else(|| violation(format!("{} lacks its {what}", self.name())))
    }

    /// An id in [0, 2^53]; 0 only appears in revocation forms.
    pub fn id(&self, i: usize, what: &str) -> Result<u64, ProtocolViolation> {
        let raw = self.field(i, what)?;
        match serde_json::from_str::<u64>(raw) {
            Ok(v) if v <= MAX_ID => Ok(v),
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
        match serde_json::from_str::<u64>(raw) {
            Ok(v) if (1..=MAX_ID).contains(&v) => Ok(v),
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

    #[test]
    fn flags_tolerate_odd_types() {
        let f = Flags::read(r#"{"progress": true, "message": 5, "reason": "wamp.x"}"#);
        assert!(f.progress);
        assert_eq!(f.message, None);
        assert_eq!(f.reason.as_deref(), Some("wamp.x"));
        assert!(!Flags::read("{}").progress);
    }
}
