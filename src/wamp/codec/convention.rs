//! The conventions of the JSON side, by their former path: the marker rules live in `markers`,
//! the attachment rules in `attachments`, the formats in `json`, `msgpack` and `cbor`.

pub use super::attachments::{
    describe_attachments, renumber_attachments, Attachment, Outgoing, ReceivedValue,
};
