//! What every request shares: the request id that replaces JavaScript's handle, the handle a
//! reply goes back to, ERROR replies, and the acknowledgements (PUBLISHED, SUBSCRIBED,
//! REGISTERED, UNSUBSCRIBED, UNREGISTERED) with their revocation forms.

use rustc_hash::FxHashSet;

use super::{Output, Pending, SessionCore, State, HEAD_NUMBERS};
use crate::wamp::error::ProtocolViolation;
use crate::wamp::message::{self as m, push_u64, quote, Flags, Parts};

impl SessionCore {
    fn new_request_id(&mut self) -> u64 {
        let id = self.next_request;
        self.next_request = if id >= m::MAX_ID { 1 } else { id + 1 };
        id
    }

    /// PUBLISH, SUBSCRIBE, UNSUBSCRIBE, CALL, REGISTER or UNREGISTER from JavaScript.
    pub(super) fn send_request(
        &mut self,
        p: &Parts,
        text: &str,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        if self.state != State::Established {
            // The session is gone; JavaScript settles the request when the close event it is
            // about to receive arrives.
            return Ok(());
        }
        let handle = p.id(1, "handle")?;
        let target = match p.kind {
            m::UNSUBSCRIBE | m::UNREGISTER => p.id(2, "id")?,
            _ => 0,
        };
        if p.kind == m::CALL && self.continue_streaming_call(p, handle, text, out)? {
            return Ok(());
        }
        let request = self.new_request_id();
        // An unacknowledged publish (handle 0) has nobody waiting for a reply.
        if handle != 0 || p.kind != m::PUBLISH {
            self.pending.insert(
                request,
                Pending {
                    kind: p.kind,
                    handle,
                    target,
                },
            );
        }
        out.to_router.push(rewrite_request(p, request, text));
        Ok(())
    }

    /// Finds the JavaScript handle for a reply; `None` for a late reply to a cancelled call.
    pub(super) fn reply_handle(
        &mut self,
        request: u64,
        expected_kind: u64,
        is_final: bool,
        p: &Parts,
    ) -> Result<Option<u64>, ProtocolViolation> {
        match self.pending.get(&request) {
            Some(r) if r.kind == expected_kind => {
                let handle = r.handle;
                if is_final {
                    self.pending.remove(&request);
                    if expected_kind == m::CALL && !self.streaming_calls.is_empty() {
                        self.streaming_calls.remove(&handle);
                    }
                }
                Ok(Some(handle))
            }
            Some(r) => Err(ProtocolViolation::new(format!(
                "{} for request {request}, which is a {}",
                p.name(),
                m::type_name(r.kind)
            ))),
            None if expected_kind == m::CALL && self.cancelled.contains(request) => Ok(None),
            None => Err(ProtocolViolation::new(format!(
                "{} for unknown request {request}",
                p.name()
            ))),
        }
    }

    /// ERROR in reply to one of our requests.
    pub(super) fn on_error(
        &mut self,
        p: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        p.expect_len(5, 7)?;
        let request_kind = p.id(1, "request type")?;
        if !matches!(
            request_kind,
            m::PUBLISH | m::SUBSCRIBE | m::UNSUBSCRIBE | m::CALL | m::REGISTER | m::UNREGISTER
        ) {
            return Err(ProtocolViolation::new(format!(
                "ERROR for request type {request_kind}, which a router may not send"
            )));
        }
        let request = p.nonzero_id(2, "request id")?;
        let details = p.dict(3, "Details")?;
        let error = p.string_raw(4, "Error")?;
        let payload = p.payload(5)?;
        let Some(handle) = self.reply_handle(request, request_kind, true, p)? else {
            return Ok(());
        };
        out.to_js.push(
            payload.event_with(HEAD_NUMBERS + error.len() + details.len(), |ev| {
                ev.push('[');
                push_u64(ev, m::ERROR);
                ev.push(',');
                push_u64(ev, handle);
                ev.push(',');
                ev.push_str(error);
                ev.push(',');
                ev.push_str(details);
            }),
        );
        Ok(())
    }

    /// `[kind, request, id]` (PUBLISHED, SUBSCRIBED, REGISTERED): the handle waiting for it and
    /// the id, or `None` when nobody waits.
    pub(super) fn acknowledged(
        &mut self,
        p: &Parts,
        request_kind: u64,
        what: &str,
    ) -> Result<Option<(u64, u64)>, ProtocolViolation> {
        p.expect_len(3, 3)?;
        let request = p.nonzero_id(1, "request id")?;
        let id = p.nonzero_id(2, what)?;
        Ok(self
            .reply_handle(request, request_kind, true, p)?
            .map(|handle| (handle, id)))
    }

    /// UNSUBSCRIBED or UNREGISTERED: the reply to our request (the target id leaves `live`), or
    /// with request 0 a revocation by the router (`Details.<key>` names the id).
    pub(super) fn removed(
        &mut self,
        p: &Parts,
        removal: Removal,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        p.expect_len(2, 3)?;
        let request = p.id(1, "request id")?;
        if request == 0 {
            let flags = Flags::read(p.dict(2, "Details")?);
            let id = (removal.revoked)(&flags)
                .filter(|id| (1..=m::MAX_ID).contains(id))
                .ok_or_else(|| {
                    ProtocolViolation::new(format!(
                        "{} revocation lacks Details.{} (an id in [1, 2^53])",
                        p.name(),
                        removal.key
                    ))
                })?;
            if (removal.live)(self).remove(&id) {
                let reason = flags.reason.as_deref().map(quote);
                out.to_js.push(format!(
                    "[{},0,{id},{}]",
                    p.kind,
                    reason.as_deref().unwrap_or("null")
                ));
            }
            return Ok(());
        }
        let target = self.pending.get(&request).map(|r| r.target);
        let Some(handle) = self.reply_handle(request, removal.request_kind, true, p)? else {
            return Ok(());
        };
        if let Some(target) = target {
            (removal.live)(self).remove(&target);
        }
        out.to_js.push(format!("[{},{handle}]", p.kind));
        Ok(())
    }
}

/// What UNSUBSCRIBED and UNREGISTERED differ in.
pub(super) struct Removal {
    /// The request it answers.
    pub request_kind: u64,
    /// The Details key of a revocation.
    pub key: &'static str,
    pub revoked: fn(&Flags) -> Option<u64>,
    /// The set the id leaves.
    pub live: fn(&mut SessionCore) -> &mut FxHashSet<u64>,
}

/// The command with the JavaScript handle in slot 1 replaced by the WAMP request id: the text
/// before and after the handle is copied as JavaScript wrote it, in two pieces instead of element
/// by element.
pub(super) fn rewrite_request(p: &Parts, request: u64, text: &str) -> String {
    let mut msg = String::with_capacity(text.len() + 16);
    if let Some((head, tail)) = p.items.get(1).and_then(|handle| around(text, handle)) {
        msg.push_str(head);
        push_u64(&mut msg, request);
        msg.push_str(tail);
        return msg;
    }
    msg.push('[');
    push_u64(&mut msg, p.kind);
    msg.push(',');
    push_u64(&mut msg, request);
    for item in &p.items[2..] {
        msg.push(',');
        msg.push_str(item);
    }
    msg.push(']');
    msg
}

/// The text before and after `part`, a slice of `text` (as the elements of its `Parts` are).
fn around<'a>(text: &'a str, part: &str) -> Option<(&'a str, &'a str)> {
    let start = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    Some((text.get(..start)?, text.get(end..)?))
}
