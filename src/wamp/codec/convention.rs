//! The conventions of the JSON side, by their former path: the marker rules live in `markers`,
//! the attachment rules in `attachments`, the formats in `json`, `msgpack` and `cbor`.

pub use super::attachments::renumber_attachments;
// The former paths of the marks, thresholds and attachment types, for code written against them.
#[allow(unused_imports)]
pub use super::attachments::{
    describe_attachments, Attachment, Outgoing, ReceivedValue, ATTACHMENT_MARK, ATTACH_MIN_LEN,
    ATTACH_MIN_TEXT_LEN,
};
#[allow(unused_imports)]
pub use super::markers::{BIGINT_MARK, BYTES_MARK};
