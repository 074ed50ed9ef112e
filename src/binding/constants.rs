//! The vocabulary lib/protocol.js shares with the engine, read once when the package loads:
//! message and event kinds, the marked-string convention, attachment thresholds, serializers
//! and the defaults of settings the engine also applies. Each value is the engine's own
//! constant, so the two sides cannot drift apart.

use napi_derive::napi;
use serde_json::{json, Map, Value};

use crate::client::events;
use crate::client::retry::RetryConfig;
use crate::wamp::codec::convention::{
    ATTACHMENT_MARK, ATTACH_MIN_LEN, ATTACH_MIN_TEXT_LEN, BIGINT_MARK, BYTES_MARK,
};
use crate::wamp::codec::Codec;
use crate::wamp::message as m;
use crate::wamp::transport::config::DEFAULT_CONNECT_TIMEOUT;
use crate::wamp::transport::rawsocket;

/// `{"NAME": value, ...}` from a list of constants, named as in Rust.
macro_rules! named {
    ($($path:ident :: $name:ident),* $(,)?) => {{
        let mut map = Map::new();
        $(map.insert(stringify!($name).to_string(), json!($path::$name));)*
        Value::Object(map)
    }};
}

/// Every serializer the engine speaks, in the order Autobahn|JS prefers them.
const CODECS: [Codec; 3] = [Codec::Json, Codec::MsgPack, Codec::Cbor];

/// The WebSocket subprotocol (and RawSocket serializer) name of a codec.
fn protocol_name(codec: Codec) -> String {
    // Exhaustive on purpose: a new codec does not build until CODECS lists it.
    match codec {
        Codec::Json | Codec::MsgPack | Codec::Cbor => format!("wamp.2.{}", codec.name()),
    }
}

fn vocabulary() -> Value {
    let retry = RetryConfig::default();
    json!({
        "message": named![
            m::HELLO, m::WELCOME, m::ABORT, m::CHALLENGE, m::AUTHENTICATE, m::GOODBYE, m::ERROR,
            m::PUBLISH, m::PUBLISHED, m::SUBSCRIBE, m::SUBSCRIBED, m::UNSUBSCRIBE,
            m::UNSUBSCRIBED, m::EVENT, m::CALL, m::CANCEL, m::RESULT, m::REGISTER, m::REGISTERED,
            m::UNREGISTER, m::UNREGISTERED, m::INVOCATION, m::INTERRUPT, m::YIELD,
        ],
        "event": named![
            events::OPEN, events::CLOSE, events::INTERNAL_ERROR, events::CONNECTING,
            events::CONNECTED, events::DEBUG, events::DRAINED,
        ],
        "marks": {
            "bytes": BYTES_MARK.to_string(),
            "bigint": BIGINT_MARK.to_string(),
            "attachment": ATTACHMENT_MARK.to_string(),
        },
        "attachments": {
            "min_bytes": ATTACH_MIN_LEN,
            "min_text_bytes": ATTACH_MIN_TEXT_LEN,
        },
        "serializers": CODECS
            .iter()
            .map(|&c| json!({
                "id": c.name(),
                "protocol": protocol_name(c),
                "binary": c != Codec::Json,
            }))
            .collect::<Vec<_>>(),
        "connect_timeout": DEFAULT_CONNECT_TIMEOUT,
        "rawsocket_max_len_exp": {
            "min": rawsocket::MIN_LEN_EXP,
            "max": rawsocket::MAX_LEN_EXP,
            "default": rawsocket::MAX_LEN_EXP,
        },
        "retry": {
            "max_retries": retry.max_retries,
            "initial_retry_delay": retry.initial_retry_delay,
            "max_retry_delay": retry.max_retry_delay,
            "retry_delay_growth": retry.retry_delay_growth,
            "retry_delay_jitter": retry.retry_delay_jitter,
            "retry_if_unreachable": retry.retry_if_unreachable,
        },
    })
}

/// The vocabulary as JSON text (see the module comment).
#[napi]
pub fn protocol_constants() -> String {
    vocabulary().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What JavaScript reads.
    fn vocabulary() -> Value {
        serde_json::from_str(&protocol_constants()).unwrap()
    }

    #[test]
    fn every_serializer_the_engine_parses_is_listed() {
        let v = vocabulary();
        let listed: Vec<&str> = v["serializers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["protocol"].as_str().unwrap())
            .collect();
        assert_eq!(listed, ["wamp.2.json", "wamp.2.msgpack", "wamp.2.cbor"]);
        for p in listed {
            let codec = Codec::from_name(p).unwrap();
            assert_eq!(protocol_name(codec), p);
            assert!(rawsocket::serializer_id(p).is_some(), "{p} over RawSocket");
        }
    }

    #[test]
    fn kinds_are_named_as_in_rust() {
        let v = vocabulary();
        assert_eq!(v["message"]["INVOCATION"], 68);
        assert_eq!(v["message"].as_object().unwrap().len(), 24);
        assert_eq!(v["event"]["DEBUG"], events::DEBUG);
        assert_eq!(v["marks"]["bytes"], "\u{0}");
        assert_eq!(v["rawsocket_max_len_exp"]["max"], 24);
    }
}
