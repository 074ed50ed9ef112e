//! Opening and closing: WELCOME, CHALLENGE and ABORT while establishing, GOODBYE either way,
//! and the AUTHENTICATE or ABORT that JavaScript answers a CHALLENGE with.

use super::{Output, SessionCore, State, GOODBYE_AND_OUT};
use crate::wamp::error::ProtocolViolation;
use crate::wamp::message::{self as m, quote, Flags, Parts};

impl SessionCore {
    /// Before WELCOME only WELCOME, CHALLENGE and ABORT may come.
    pub(super) fn on_establishing(
        &mut self,
        p: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        match p.kind {
            m::WELCOME => self.on_welcome(p, out),
            m::CHALLENGE => self.on_challenge(p, out),
            m::ABORT => self.on_abort(p, out),
            _ => Err(ProtocolViolation::new(format!(
                "{} received before the session was established",
                p.name()
            ))),
        }
    }

    fn on_welcome(&mut self, p: &Parts, out: &mut Output) -> Result<(), ProtocolViolation> {
        p.expect_len(3, 3)?;
        let session_id = p.nonzero_id(1, "session id")?;
        let details = p.dict(2, "Details")?;
        self.state = State::Established;
        out.to_js.push(format!(
            "[{},{},{session_id},{details}]",
            super::events::OPEN,
            self.serial
        ));
        Ok(())
    }

    fn on_challenge(&mut self, p: &Parts, out: &mut Output) -> Result<(), ProtocolViolation> {
        p.expect_len(3, 3)?;
        let method = p.string_raw(1, "AuthMethod")?;
        let extra = p.dict(2, "Extra")?;
        out.to_js
            .push(format!("[{},{method},{extra}]", m::CHALLENGE));
        Ok(())
    }

    pub(super) fn on_abort(
        &mut self,
        p: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        p.expect_len(3, 5)?;
        let flags = Flags::read(p.dict(1, "Details")?);
        let reason = p.string(2, "Reason")?;
        self.end(&reason, flags.message.as_deref().unwrap_or(""), false, out);
        Ok(())
    }

    /// The router's GOODBYE, or its reply to ours (which is not answered).
    pub(super) fn on_goodbye(
        &mut self,
        p: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        p.expect_len(3, 3)?;
        let flags = Flags::read(p.dict(1, "Details")?);
        let reason = p.string(2, "Reason")?;
        if self.state == State::Established {
            out.to_router
                .push(format!("[{},{{}},{}]", m::GOODBYE, quote(GOODBYE_AND_OUT)));
        }
        self.end(&reason, flags.message.as_deref().unwrap_or(""), false, out);
        Ok(())
    }

    /// Leaves the session (GOODBYE) if it is established. Returns false if there was none.
    pub fn leave(&mut self, reason: &str, message: Option<&str>, out: &mut Output) -> bool {
        if self.state != State::Established {
            return false;
        }
        let details = match message {
            Some(msg) => format!("{{\"message\":{}}}", quote(msg)),
            None => "{}".to_string(),
        };
        out.to_router
            .push(format!("[{},{details},{}]", m::GOODBYE, quote(reason)));
        self.state = State::GoodbyeSent;
        true
    }

    /// JavaScript's answer to a CHALLENGE.
    pub(super) fn send_authenticate(&mut self, text: &str, out: &mut Output) {
        if self.state == State::Establishing {
            out.to_router.push(text.to_string());
        }
    }

    /// JavaScript gives up on a CHALLENGE (onchallenge failed).
    pub(super) fn send_abort(
        &mut self,
        p: &Parts,
        text: &str,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        if self.state == State::Establishing {
            let flags = Flags::read(p.dict(1, "details")?);
            let reason = p.string(2, "reason")?;
            out.to_router.push(text.to_string());
            self.end(&reason, flags.message.as_deref().unwrap_or(""), false, out);
        }
        Ok(())
    }
}
