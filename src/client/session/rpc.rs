//! Remote procedure calls: as caller (RESULT, CANCEL, progressive call invocations) and as
//! callee (REGISTERED, UNREGISTERED, INVOCATION, INTERRUPT, YIELD and the callee's ERROR).

use super::requests::{rewrite_request, Removal};
use super::{Output, SessionCore};
use crate::wamp::error::ProtocolViolation;
use crate::wamp::message::{self as m, Flags, Parts};

/// Whether a Details/Options dict says `progress: true` (read only when the key is there).
fn progress(dict: &str) -> bool {
    dict.contains("progress") && Flags::read(dict).progress
}

impl SessionCore {
    pub(super) fn on_result(
        &mut self,
        p: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        p.expect_len(3, 5)?;
        let request = p.nonzero_id(1, "request id")?;
        let details = p.dict(2, "Details")?;
        let payload = p.payload(3)?;
        let Some(handle) = self.reply_handle(request, m::CALL, !progress(details), p)? else {
            return Ok(());
        };
        out.to_js.push(payload.event(&[m::RESULT, handle], details));
        Ok(())
    }

    /// A CALL of a progressive call invocation: a further input reuses the request id of the
    /// first CALL. Returns true when this CALL was such an input (and is dealt with).
    pub(super) fn continue_streaming_call(
        &mut self,
        p: &Parts,
        handle: u64,
        text: &str,
        out: &mut Output,
    ) -> Result<bool, ProtocolViolation> {
        let more = progress(p.dict(2, "options")?);
        if let Some(&request) = self.streaming_calls.get(&handle) {
            if !more {
                self.streaming_calls.remove(&handle);
            }
            if self.pending.contains_key(&request) {
                out.to_router.push(rewrite_request(p, request, text));
            }
            return Ok(true);
        }
        if more {
            // The request id this first CALL is about to get.
            self.streaming_calls.insert(handle, self.next_request);
        }
        Ok(false)
    }

    pub(super) fn send_cancel(
        &mut self,
        p: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        if !self.can_send() {
            return Ok(());
        }
        let handle = p.id(1, "handle")?;
        let options = p.dict(2, "options")?;
        let found = self
            .pending
            .iter()
            .find(|(_, r)| r.kind == m::CALL && r.handle == handle)
            .map(|(id, _)| *id);
        if let Some(request) = found {
            out.to_router
                .push(format!("[{},{request},{options}]", m::CANCEL));
            // Only `kill` waits for the router's answer; other modes are settled by JavaScript
            // at once. Whatever comes after the answer is dropped.
            self.cancelled.insert(request);
            if Flags::read(options).mode.as_deref() != Some("kill") {
                self.pending.remove(&request);
            }
        }
        Ok(())
    }

    pub(super) fn on_registered(
        &mut self,
        p: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        if let Some((handle, id)) = self.acknowledged(p, m::REGISTER, "registration id")? {
            self.registrations.insert(id);
            out.to_js.push(format!("[{},{handle},{id}]", m::REGISTERED));
        }
        Ok(())
    }

    pub(super) fn on_unregistered(
        &mut self,
        p: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        let removal = Removal {
            request_kind: m::UNREGISTER,
            key: "registration",
            revoked: |flags| flags.registration,
            live: |s| &mut s.registrations,
        };
        self.removed(p, removal, out)
    }

    pub(super) fn on_invocation(
        &mut self,
        p: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        p.expect_len(4, 6)?;
        let request = p.nonzero_id(1, "request id")?;
        let registration = p.nonzero_id(2, "registration id")?;
        let details = p.dict(3, "Details")?;
        let payload = p.payload(4)?;
        if !self.registrations.contains(&registration) {
            // Possible right after an UNREGISTER crossed this INVOCATION: answer, so the caller
            // is not left waiting.
            out.to_router.push(format!(
                "[{},{},{request},{{}},\"wamp.error.no_such_registration\"]",
                m::ERROR,
                m::INVOCATION
            ));
            return Ok(());
        }
        let input_continues = progress(details);
        if self.invocations.insert(request) {
            if input_continues {
                self.streaming_invocations.insert(request);
            }
        } else if !self.streaming_invocations.contains(&request) {
            return Err(ProtocolViolation::new(format!(
                "INVOCATION reuses the id {request} of a running invocation"
            )));
        } else if !input_continues {
            self.streaming_invocations.remove(&request);
        }
        out.to_js
            .push(payload.event(&[m::INVOCATION, request, registration], details));
        Ok(())
    }

    pub(super) fn on_interrupt(
        &mut self,
        p: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        p.expect_len(3, 3)?;
        let request = p.nonzero_id(1, "request id")?;
        let options = p.dict(2, "Options")?;
        if self.invocations.remove(&request) {
            self.streaming_invocations.remove(&request);
            // `kill` wants an answer, `killnowait` (or no mode) none; either way the endpoint's
            // own late answer is dropped from here on.
            if Flags::read(options).mode.as_deref() == Some("kill") {
                out.to_router.push(format!(
                    "[{},{},{request},{{}},\"wamp.error.canceled\"]",
                    m::ERROR,
                    m::INVOCATION
                ));
            }
            out.to_js
                .push(format!("[{},{request},{options}]", m::INTERRUPT));
        }
        Ok(())
    }

    /// The endpoint's result: sent once per invocation (progressive results keep it open).
    pub(super) fn send_yield(
        &mut self,
        p: &Parts,
        text: &str,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        let request = p.id(1, "invocation id")?;
        let options = p.dict(2, "options")?;
        let live = if progress(options) {
            self.invocations.contains(&request)
        } else {
            self.invocations.remove(&request)
        };
        if live && self.can_send() {
            out.to_router.push(text.to_string());
        }
        Ok(())
    }

    /// The endpoint's error, sent once per invocation.
    pub(super) fn send_invocation_error(
        &mut self,
        p: &Parts,
        text: &str,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        let request = p.id(2, "invocation id")?;
        if self.invocations.remove(&request) && self.can_send() {
            out.to_router.push(text.to_string());
        }
        Ok(())
    }
}
