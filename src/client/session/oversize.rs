//! Messages too large for the transport: the request fails (or the caller gets an error in
//! place of the endpoint's answer) and the session goes on.

use super::{events, Output, SessionCore};
use crate::wamp::message::{self as m, quote, Parts};

const PAYLOAD_SIZE_EXCEEDED: &str = "wamp.error.payload_size_exceeded";

impl SessionCore {
    /// A message we were about to send is larger than the transport allows. Requests fail with
    /// `wamp.error.payload_size_exceeded`, and an endpoint's result or error is replaced by that
    /// error for the caller, so the session goes on. Returns false for messages without such a
    /// fallback (HELLO, AUTHENTICATE, ...): then the connection has to end.
    pub fn refuse_outgoing(&mut self, text: &str, why: &str, out: &mut Output) -> bool {
        let Ok(p) = Parts::parse(text) else {
            return false;
        };
        let message = quote(&format!("the message is too large to send ({why})"));
        match p.kind {
            m::PUBLISH | m::SUBSCRIBE | m::UNSUBSCRIBE | m::CALL | m::REGISTER | m::UNREGISTER => {
                self.refuse_request(&p, &message, why, out)
            }
            m::YIELD | m::ERROR => self.refuse_answer(&p, &message, why, out),
            _ => false,
        }
    }

    fn refuse_request(&mut self, p: &Parts, message: &str, why: &str, out: &mut Output) -> bool {
        let Ok(request) = p.id(1, "request id") else {
            return false;
        };
        match self.pending.remove(&request) {
            Some(r) => {
                self.streaming_calls.remove(&r.handle);
                out.to_js.push(format!(
                    "[{},{},\"{PAYLOAD_SIZE_EXCEEDED}\",{{}},[{message}]]",
                    m::ERROR,
                    r.handle
                ));
            }
            // An unacknowledged publish has nobody waiting for it.
            None => out.to_js.push(events::internal_error(&format!(
                "{} not sent: the message is too large ({why})",
                p.name()
            ))),
        }
        true
    }

    /// YIELD or the endpoint's ERROR: the caller gets the size error instead.
    fn refuse_answer(&mut self, p: &Parts, message: &str, why: &str, out: &mut Output) -> bool {
        let slot = if p.kind == m::YIELD { 1 } else { 2 };
        let Ok(invocation) = p.id(slot, "invocation id") else {
            return false;
        };
        if p.kind == m::ERROR && p.raw(4) == Some(&format!("\"{PAYLOAD_SIZE_EXCEEDED}\"")[..]) {
            // Even the short error does not fit: nothing left to try.
            return false;
        }
        out.to_router.push(format!(
            "[{},{},{invocation},{{}},\"{PAYLOAD_SIZE_EXCEEDED}\",[{message}]]",
            m::ERROR,
            m::INVOCATION
        ));
        out.to_js.push(events::internal_error(&format!(
            "the answer to invocation {invocation} is too large to send ({why}); the caller gets {PAYLOAD_SIZE_EXCEEDED}"
        )));
        true
    }
}
