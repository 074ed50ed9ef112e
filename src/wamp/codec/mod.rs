//! Serializers. The session core and JavaScript speak JSON text; a codec turns that text into
//! the wire format and back. JSON is passed through untouched. MessagePack and CBOR are
//! transcoded, keeping two conventions of the JSON side (see `convention`):
//! binary values are strings of U+0000 + Base64, and integers beyond ±(2^53-1) are strings of
//! U+0001 + decimal digits (BigInt on the JavaScript side).

pub mod batch;
pub mod convention;

pub use convention::{Attachment, ReceivedValue};

use thiserror::Error;

use crate::wamp::transport::Frame;

#[derive(Debug, Error)]
pub enum CodecError {
    #[error("invalid {codec} message: {reason}")]
    Decode { codec: &'static str, reason: String },
    #[error("cannot encode message as {codec}: {reason}")]
    Encode { codec: &'static str, reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Json,
    MsgPack,
    Cbor,
}

impl Codec {
    /// The codec for a serializer id (`json`, `msgpack`, `cbor`) or WebSocket subprotocol
    /// (`wamp.2.json`, ...).
    pub fn from_name(name: &str) -> Option<Codec> {
        match name.strip_prefix("wamp.2.").unwrap_or(name) {
            "json" => Some(Codec::Json),
            "msgpack" => Some(Codec::MsgPack),
            "cbor" => Some(Codec::Cbor),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Codec::Json => "json",
            Codec::MsgPack => "msgpack",
            Codec::Cbor => "cbor",
        }
    }

    /// JSON text (the engine's form) -> a wire frame. Placeholders in the text take their
    /// bytes from `attachments`.
    pub fn encode(
        self,
        json: String,
        attachments: &mut convention::Outgoing,
    ) -> Result<Frame, CodecError> {
        match self {
            Codec::Json => convention::inline_attachments(json, attachments).map(Frame::Text),
            Codec::MsgPack => {
                convention::json_to_msgpack(&json, attachments).map(|b| Frame::Binary(b.into()))
            }
            Codec::Cbor => {
                convention::json_to_cbor(&json, attachments).map(|b| Frame::Binary(b.into()))
            }
        }
    }

    /// A wire frame -> JSON text. With `attachments`, large byte values and strings go there,
    /// with placeholders in the text (under JSON only in texts of 16 KiB or more).
    pub fn decode(
        self,
        frame: Frame,
        attachments: Option<&mut Vec<ReceivedValue>>,
    ) -> Result<String, CodecError> {
        match (self, frame) {
            (Codec::Json, Frame::Text(t)) => Ok(json_text(t, attachments)),
            // JSON over RawSocket.
            (Codec::Json, Frame::Binary(b)) => String::from_utf8(Vec::from(b))
                .map(|t| json_text(t, attachments))
                .map_err(|_| CodecError::Decode {
                    codec: "json",
                    reason: "not UTF-8".into(),
                }),
            (Codec::MsgPack, Frame::Binary(b)) => convention::msgpack_to_json(&b, attachments),
            (Codec::Cbor, Frame::Binary(b)) => convention::cbor_to_json(&b, attachments),
            (codec, Frame::Text(_)) => Err(CodecError::Decode {
                codec: codec.name(),
                reason: "a text frame on a binary serializer".into(),
            }),
        }
    }
}

fn json_text(text: String, attachments: Option<&mut Vec<ReceivedValue>>) -> String {
    match attachments {
        Some(attachments) => convention::json_take_large_values(text, attachments),
        None => text,
    }
}
