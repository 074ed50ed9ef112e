//! Serializers. The session core and JavaScript speak JSON text; a codec turns that text into
//! the wire format and back. JSON is passed through untouched. MessagePack and CBOR are
//! transcoded, keeping two conventions of the JSON side (see `markers`):
//! binary values are strings of U+0000 + Base64, and integers beyond ±(2^53-1) are strings of
//! U+0001 + decimal digits (BigInt on the JavaScript side). Large values may travel beside the
//! text as attachments (see `attachments`).
//!
//! One file per format: `json`, `msgpack`, `cbor`.

mod attachments;
pub(crate) mod batch;
mod cbor;
pub(crate) mod convention;
mod json;
mod markers;
mod msgpack;
#[cfg(test)]
mod tests;

pub use attachments::{describe_attachments, Attachment, Outgoing, ReceivedValue};

use thiserror::Error;

use crate::wamp::transport::Frame;

/// Why a message could not be transcoded. Decoding errors are the peer's (a session answers
/// them as protocol violations); encoding errors are ours.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CodecError {
    #[error("invalid {codec} message: {reason}")]
    Decode { codec: &'static str, reason: String },
    /// A text frame where the serializer is binary.
    #[error("invalid {codec} message: a text frame on a binary serializer")]
    TextFrame { codec: &'static str },
    /// A list or map nested deeper than the reader recurses.
    #[error("invalid {codec} message: lists and maps nest deeper than {limit}")]
    TooDeep { codec: &'static str, limit: usize },
    #[error("cannot encode message as {codec}: {reason}")]
    Encode { codec: &'static str, reason: String },
    /// A placeholder whose attachment was not given, or was used already (a bug of the sender).
    #[error("cannot encode message as {codec}: the placeholder of attachment '{index}' has no attachment")]
    MissingAttachment { codec: &'static str, index: String },
    /// A big integer (U+0001 + digits) beyond 64 bits, which the binary serializers cannot carry.
    #[error("cannot encode message as {codec}: the integer {value} does not fit 64 bits")]
    IntegerTooLarge { codec: &'static str, value: i128 },
}

/// How deep lists and maps of a received message may nest, in every serializer: readers recurse
/// over them, and the input comes from the network.
pub(crate) const MAX_NESTING: usize = 128;

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
    pub fn encode(self, json: String, attachments: &mut Outgoing) -> Result<Frame, CodecError> {
        match self {
            Codec::Json => json::inline_attachments(json, attachments).map(Frame::Text),
            Codec::MsgPack => {
                msgpack::json_to_msgpack(&json, attachments).map(|b| Frame::Binary(b.into()))
            }
            Codec::Cbor => cbor::json_to_cbor(&json, attachments).map(|b| Frame::Binary(b.into())),
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
            (Codec::Json, Frame::Text(t)) => json_text(t, attachments),
            // JSON over RawSocket.
            (Codec::Json, Frame::Binary(b)) => String::from_utf8(Vec::from(b))
                .map_err(|_| CodecError::Decode {
                    codec: "json",
                    reason: "not UTF-8".into(),
                })
                .and_then(|t| json_text(t, attachments)),
            (Codec::MsgPack, Frame::Binary(b)) => msgpack::msgpack_to_json(&b, attachments),
            (Codec::Cbor, Frame::Binary(b)) => cbor::cbor_to_json(&b, attachments),
            (codec, Frame::Text(_)) => Err(CodecError::TextFrame {
                codec: codec.name(),
            }),
        }
    }
}

/// `json` with the placeholders of `attached` replaced by the values themselves, in the JSON
/// form (bytes as U+0000 + Base64, strings escaped): a text that stands on its own.
pub fn inline_received(json: &str, attached: &[ReceivedValue]) -> Result<String, CodecError> {
    let mut outgoing: Outgoing = attached.iter().map(|v| Some(v.into())).collect();
    json::inline_attachments(json.to_string(), &mut outgoing)
}

fn json_text(
    text: String,
    attachments: Option<&mut Vec<ReceivedValue>>,
) -> Result<String, CodecError> {
    json::check_nesting(text.as_bytes())?;
    Ok(match attachments {
        Some(attachments) => json::json_take_large_values(text, attachments),
        None => text,
    })
}
