//! Texts with attachment placeholders joined into one JSON array, with one list of attachments:
//! what crosses to JavaScript in one call. Each text numbers its own attachments from 0; joining
//! a batch that holds attachments already moves its numbers up (see `convention`).

use super::convention::renumber_attachments;
use super::ReceivedValue;

#[derive(Debug, Default)]
pub struct AttachedBatch {
    /// `[text1,text2,...` (the closing bracket is added by `take`). Empty when nothing waits.
    text: String,
    /// The batch's attachments; the placeholders in `text` number them from 0.
    attachments: Vec<ReceivedValue>,
}

impl AttachedBatch {
    /// Appends one text without attachments. True when the batch was empty before.
    pub fn push(&mut self, text: &str) -> bool {
        let first = self.text.is_empty();
        self.text.push(if first { '[' } else { ',' });
        self.text.push_str(text);
        first
    }

    /// Appends (and empties) `texts`, whose placeholders number `attachments` from 0. True when
    /// the batch was empty before.
    pub fn push_all(&mut self, texts: &mut Vec<String>, attachments: Vec<ReceivedValue>) -> bool {
        let offset = self.attachments.len();
        let mut first = false;
        for text in texts.drain(..) {
            first |= if attachments.is_empty() || offset == 0 {
                self.push(&text)
            } else {
                self.push(&renumber_attachments(&text, offset))
            };
        }
        self.attachments.extend(attachments);
        first
    }

    /// The JSON text of the array (`[]` when empty) and its attachments; the batch is empty after.
    pub fn take(&mut self) -> (String, Vec<ReceivedValue>) {
        let AttachedBatch {
            mut text,
            attachments,
        } = std::mem::take(self);
        if text.is_empty() {
            text.push('[');
        }
        text.push(']');
        (text, attachments)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn bytes(b: &'static [u8]) -> ReceivedValue {
        ReceivedValue::Bytes(Bytes::from_static(b))
    }

    #[test]
    fn an_empty_batch_is_an_empty_array() {
        let mut batch = AttachedBatch::default();
        assert_eq!(batch.take(), ("[]".to_string(), vec![]));
    }

    #[test]
    fn later_texts_number_their_attachments_after_the_earlier_ones() {
        let mut batch = AttachedBatch::default();
        assert!(batch.push_all(
            &mut vec![r#"[36,1,2,{},["\u0000#0"]]"#.to_string()],
            vec![bytes(b"a")]
        ));
        assert!(!batch.push("[1003]"));
        let mut texts = vec![r#"[36,1,3,{},["\u0000#0","\u0000#1"]]"#.to_string()];
        assert!(!batch.push_all(&mut texts, vec![bytes(b"b"), bytes(b"c")]));
        assert!(texts.is_empty());
        let (text, attachments) = batch.take();
        assert_eq!(
            text,
            r#"[[36,1,2,{},["\u0000#0"]],[1003],[36,1,3,{},["\u0000#1","\u0000#2"]]]"#
        );
        assert_eq!(attachments, vec![bytes(b"a"), bytes(b"b"), bytes(b"c")]);
        assert_eq!(batch.take().0, "[]");
    }
}
