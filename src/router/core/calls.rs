//! Calls through the dealer: CALL (and progressive call input), YIELD, a callee's ERROR,
//! CANCEL, call timeouts, and the calls of a session that leaves.

use crate::router::config::MatchPolicy;
use crate::wamp::error::ProtocolViolation;
use crate::wamp::message::{push_u64, quote, type_name, Parts, Payload, CALL, CANCEL, INVOCATION};

use super::authorizer::Action;
use super::options::{self, CallOptions, CancelOptions, ProgressOption};
use super::realm::Realm;
use super::wire::{error, request_id, text};
use super::{uri, Output, SessionId, TimerKey};

/// A call the dealer passed to a callee and that has not ended.
pub struct Invocation {
    pub caller: SessionId,
    pub call_request: u64,
    pub registration: u64,
    /// The caller asked for progressive results.
    pub caller_progress: bool,
    /// Progressive call input: more CALLs with the same request id follow.
    pub input_open: bool,
    /// CANCEL `kill` was sent: the callee's ERROR is awaited.
    pub killing: bool,
    /// Call timeout (ms) and its timer.
    pub timeout: u64,
    pub timer: Option<u64>,
}

/// Timer keys carry the realm's index in their top bits.
pub const TIMER_REALM_SHIFT: u32 = 40;

impl Realm {
    #[allow(
        clippy::too_many_lines,
        reason = "one CALL path: new call, progressive input, routing and the INVOCATION"
    )]
    pub fn on_call(
        &mut self,
        sid: SessionId,
        parts: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        parts.expect_len(4, 6)?;
        let request = request_id(parts, 1, "request")?;
        let opts: CallOptions = options::read(parts.dict(2, "options")?);
        let procedure = text(parts, 3, "procedure")?;
        let payload = parts.payload(4)?;
        if let Some(&(callee, inv)) = self.dealer.calls.get(&(sid, request)) {
            return self.continue_call(request, (callee, inv), opts.progress, payload, out);
        }
        let fail = |out: &mut Output, uri: &str, msg: &str| {
            out.messages
                .push((sid, error(CALL, request, uri, Some(msg))));
        };
        if !uri::is_valid_exact(&procedure) {
            fail(
                out,
                "wamp.error.invalid_uri",
                &format!("invalid procedure URI '{procedure}'"),
            );
            return Ok(());
        }
        let grant = {
            let Some(caller) = self.sessions.get(&sid) else {
                return Ok(());
            };
            match self.roles[caller.role].authorize(&procedure, Action::Call) {
                Ok(g) => g,
                Err(denial) => {
                    let msg = format!("session is not authorized to call procedure '{procedure}'");
                    fail(out, denial.error_uri(), &msg);
                    return Ok(());
                }
            }
        };
        // The meta API is answered by the router; no callee can register under `wamp.`.
        if procedure.starts_with("wamp.") && self.meta_call(sid, request, &procedure, payload, out)
        {
            return Ok(());
        }
        let Some(reg_id) = self.dealer.route(&procedure) else {
            let msg = format!("no callee registered for procedure '{procedure}'");
            fail(out, "wamp.error.no_such_procedure", &msg);
            return Ok(());
        };
        let Some(reg) = self.dealer.registrations.get_mut(&reg_id) else {
            return Ok(());
        };
        let pattern = reg.policy != MatchPolicy::Exact;
        let Some(callee_id) = reg.pick_callee() else {
            return Ok(());
        };
        // Details keys, each with a leading comma.
        let mut details = String::new();
        if pattern {
            details.push_str(",\"procedure\":");
            details.push_str(&quote(&procedure));
        }
        if opts.disclose_me || grant.disclose.caller {
            let Some(caller) = self.sessions.get(&sid) else {
                return Ok(());
            };
            details.push_str(&format!(
                ",\"caller\":{sid},\"caller_authid\":{},\"caller_authrole\":{}",
                caller.authid_json, caller.authrole_json
            ));
        }
        let Some(callee) = self.sessions.get_mut(&callee_id) else {
            return Ok(());
        };
        if opts.progress && !callee.features.progressive_call_invocations {
            let msg = "the callee does not support progressive call invocations";
            fail(out, "wamp.error.feature_not_supported", msg);
            return Ok(());
        }
        if opts.receive_progress && callee.features.progressive_call_results {
            details.push_str(",\"receive_progress\":true");
        }
        if opts.progress {
            details.push_str(",\"progress\":true");
        }
        if opts.timeout > 0 {
            details.push_str(&format!(",\"timeout\":{}", opts.timeout));
        }
        let inv = callee.next_request();
        let inner = details.get(1..).unwrap_or("");
        let msg = payload.event_with(48 + details.len(), |ev| {
            ev.push_str("[68,");
            push_u64(ev, inv);
            ev.push(',');
            push_u64(ev, reg_id);
            ev.push_str(",{");
            ev.push_str(inner);
            ev.push('}');
        });
        out.messages.push((callee_id, msg));
        let timer = (opts.timeout > 0).then(|| {
            self.dealer.next_timer = (self.dealer.next_timer + 1) & ((1 << TIMER_REALM_SHIFT) - 1);
            let key = ((self.index as u64) << TIMER_REALM_SHIFT) | self.dealer.next_timer;
            self.dealer.timers.insert(key, (callee_id, inv));
            out.timers.push((
                TimerKey(key),
                std::time::Duration::from_millis(opts.timeout),
            ));
            key
        });
        self.dealer.invocations.insert(
            (callee_id, inv),
            Invocation {
                caller: sid,
                call_request: request,
                registration: reg_id,
                caller_progress: opts.receive_progress,
                input_open: opts.progress,
                killing: false,
                timeout: opts.timeout,
                timer,
            },
        );
        self.dealer.calls.insert((sid, request), (callee_id, inv));
        Ok(())
    }

    /// A CALL repeating the request id of a call in progress: more progressive input.
    fn continue_call(
        &mut self,
        request: u64,
        key: (SessionId, u64),
        progress: bool,
        payload: Payload,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        let Some(invocation) = self.dealer.invocations.get_mut(&key) else {
            return Ok(());
        };
        if !invocation.input_open {
            return Err(ProtocolViolation::new(format!(
                "CALL request id {request} is already in use by a call in progress"
            )));
        }
        invocation.input_open = progress;
        let details = if progress {
            "{\"progress\":true}"
        } else {
            "{}"
        };
        let msg = payload.event(&[68, key.1, invocation.registration], details);
        out.messages.push((key.0, msg));
        Ok(())
    }

    /// Forgets an ended invocation's call and timer.
    fn end_invocation(&mut self, key: (SessionId, u64)) -> Option<Invocation> {
        let invocation = self.dealer.invocations.remove(&key)?;
        self.dealer
            .calls
            .remove(&(invocation.caller, invocation.call_request));
        if let Some(t) = invocation.timer {
            self.dealer.timers.remove(&t);
        }
        Some(invocation)
    }

    /// A reply to an invocation the dealer no longer tracks: fine when it ended (canceled,
    /// timed out), a violation when the router never sent that id.
    fn unknown_invocation(
        &self,
        sid: SessionId,
        inv: u64,
        kind: &str,
    ) -> Result<(), ProtocolViolation> {
        let sent = self
            .sessions
            .get(&sid)
            .is_some_and(|s| inv <= s.last_request);
        if sent {
            Ok(())
        } else {
            Err(ProtocolViolation::new(format!(
                "{kind} for invocation {inv}, which the router never sent"
            )))
        }
    }

    pub fn on_yield(
        &mut self,
        sid: SessionId,
        parts: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        parts.expect_len(3, 5)?;
        let inv = request_id(parts, 1, "request")?;
        let opts: ProgressOption = options::read(parts.dict(2, "options")?);
        let payload = parts.payload(3)?;
        let key = (sid, inv);
        let Some(invocation) = self.dealer.invocations.get(&key) else {
            return self.unknown_invocation(sid, inv, "YIELD");
        };
        if opts.progress {
            // A progressive result for a caller that did not ask for them is not forwarded.
            if invocation.caller_progress {
                let msg = payload.event(&[50, invocation.call_request], "{\"progress\":true}");
                out.messages.push((invocation.caller, msg));
            }
            return Ok(());
        }
        if let Some(invocation) = self.end_invocation(key) {
            let msg = payload.event(&[50, invocation.call_request], "{}");
            out.messages.push((invocation.caller, msg));
        }
        Ok(())
    }

    /// ERROR from a client: only a callee's answer to an INVOCATION.
    pub fn on_error(
        &mut self,
        sid: SessionId,
        parts: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        parts.expect_len(5, 7)?;
        let kind = parts.id(1, "request type")?;
        if kind != INVOCATION {
            return Err(ProtocolViolation::new(format!(
                "ERROR for a {} ({kind}): clients send ERROR only for INVOCATION",
                type_name(kind)
            )));
        }
        let inv = request_id(parts, 2, "request")?;
        parts.dict(3, "details")?;
        let error_uri = parts.string_raw(4, "error")?;
        let payload = parts.payload(5)?;
        let Some(invocation) = self.end_invocation((sid, inv)) else {
            return self.unknown_invocation(sid, inv, "ERROR");
        };
        let msg = payload.event_with(40 + error_uri.len(), |ev| {
            ev.push_str("[8,48,");
            push_u64(ev, invocation.call_request);
            ev.push_str(",{},");
            ev.push_str(error_uri);
        });
        out.messages.push((invocation.caller, msg));
        Ok(())
    }

    pub fn on_cancel(
        &mut self,
        sid: SessionId,
        parts: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        parts.expect_len(3, 3)?;
        let request = request_id(parts, 1, "request")?;
        let opts: CancelOptions = options::read(parts.dict(2, "options")?);
        let mode = opts.mode.as_deref().unwrap_or("killnowait");
        if !matches!(mode, "skip" | "kill" | "killnowait") {
            let msg = format!("unknown cancel mode '{mode}'");
            out.messages.push((
                sid,
                error(CANCEL, request, "wamp.error.invalid_argument", Some(&msg)),
            ));
            return Ok(());
        }
        // A CANCEL for a call that already ended is ignored.
        let Some(&(callee, inv)) = self.dealer.calls.get(&(sid, request)) else {
            return Ok(());
        };
        let canceling = self
            .sessions
            .get(&callee)
            .is_some_and(|c| c.features.call_canceling);
        let mode = if canceling { mode } else { "skip" };
        let canceled = || {
            error(
                CALL,
                request,
                "wamp.error.canceled",
                Some("the call was canceled"),
            )
        };
        match mode {
            "kill" => {
                let Some(invocation) = self.dealer.invocations.get_mut(&(callee, inv)) else {
                    return Ok(());
                };
                if !invocation.killing {
                    invocation.killing = true;
                    out.messages
                        .push((callee, format!("[69,{inv},{{\"mode\":\"kill\"}}]")));
                }
            }
            "killnowait" => {
                self.end_invocation((callee, inv));
                out.messages
                    .push((callee, format!("[69,{inv},{{\"mode\":\"killnowait\"}}]")));
                out.messages.push((sid, canceled()));
            }
            _ => {
                self.end_invocation((callee, inv));
                out.messages.push((sid, canceled()));
            }
        }
        Ok(())
    }

    /// A call timeout fired: the caller gets `wamp.error.timeout`, the callee an INTERRUPT.
    pub fn on_call_timeout(&mut self, key: u64, out: &mut Output) {
        let Some(&target) = self.dealer.timers.get(&key) else {
            return;
        };
        let Some(invocation) = self.end_invocation(target) else {
            return;
        };
        let (callee, inv) = target;
        if self
            .sessions
            .get(&callee)
            .is_some_and(|c| c.features.call_canceling)
        {
            out.messages.push((
                callee,
                format!("[69,{inv},{{\"mode\":\"killnowait\",\"reason\":\"wamp.error.timeout\"}}]"),
            ));
        }
        let msg = format!("the call did not finish within {} ms", invocation.timeout);
        out.messages.push((
            invocation.caller,
            error(
                CALL,
                invocation.call_request,
                "wamp.error.timeout",
                Some(&msg),
            ),
        ));
    }

    /// Ends the calls a leaving session takes part in: its callers get
    /// `wamp.error.canceled`; the callees of its own calls get an INTERRUPT when they
    /// support canceling.
    pub fn drop_calls_of(&mut self, sid: SessionId, out: &mut Output) {
        let keys: Vec<(SessionId, u64)> = self
            .dealer
            .invocations
            .iter()
            .filter(|((callee, _), i)| *callee == sid || i.caller == sid)
            .map(|(k, _)| *k)
            .collect();
        for key in keys {
            let Some(invocation) = self.end_invocation(key) else {
                continue;
            };
            let (callee, inv) = key;
            if callee == sid {
                if invocation.caller != sid {
                    let msg = "the callee left before answering the call";
                    out.messages.push((
                        invocation.caller,
                        error(
                            CALL,
                            invocation.call_request,
                            "wamp.error.canceled",
                            Some(msg),
                        ),
                    ));
                }
            } else if self
                .sessions
                .get(&callee)
                .is_some_and(|c| c.features.call_canceling)
            {
                out.messages.push((
                    callee,
                    format!(
                        "[69,{inv},{{\"mode\":\"killnowait\",\"reason\":\"wamp.error.canceled\"}}]"
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::super::{Output, TimerKey};
    use serde_json::{json, Value};

    /// A callee with `com.x` registered (features per `roles`) and a caller.
    fn setup(roles: &str) -> (Kit, u64, u64) {
        let mut kit = Kit::new();
        let callee = kit.join_as("callee", "anonymous", roles);
        kit.register(callee, "com.x", "{}");
        let caller = kit.join_as("caller", "anonymous", roles);
        (kit, callee, caller)
    }

    fn invocation(kit: &mut Kit, caller: u64, call: &str) -> Value {
        let sent = kit.send(caller, call);
        assert_eq!(sent.len(), 1, "{sent:?}");
        sent[0].1.clone()
    }

    #[test]
    fn yield_becomes_the_result() {
        let (mut kit, callee, caller) = setup(PLAIN);
        let inv = invocation(
            &mut kit,
            caller,
            r#"[48,9,{},"com.x",[1],{"k":"\u0000AAE="}]"#,
        );
        assert_eq!(inv[4], json!([1]));
        assert_eq!(inv[5], json!({"k": "\u{0}AAE="}));
        kit.send(callee, &format!(r#"[70,{},{{}},["r"],{{"a":1}}]"#, inv[1]));
        assert_eq!(kit.to(caller), vec![json!([50, 9, {}, ["r"], {"a": 1}])]);
        // The call ended: a late YIELD with that id is ignored, not a violation.
        assert!(kit
            .send(callee, &format!("[70,{},{{}}]", inv[1]))
            .is_empty());
        assert!(kit.out.closes.is_empty());
    }

    #[test]
    fn a_reply_to_an_invocation_never_sent_is_a_violation() {
        let (mut kit, callee, _caller) = setup(PLAIN);
        kit.send(callee, "[70,4242,{}]");
        assert_eq!(kit.out.closes, vec![callee]);
    }

    #[test]
    fn the_callees_error_reaches_the_caller_unchanged() {
        let (mut kit, callee, caller) = setup(PLAIN);
        let inv = invocation(&mut kit, caller, r#"[48,3,{},"com.x"]"#);
        kit.send(
            callee,
            &format!(
                r#"[8,68,{},{{}},"com.err.bad",[1,"two"],{{"three":3}}]"#,
                inv[1]
            ),
        );
        assert_eq!(
            kit.to(caller),
            vec![json!([8, 48, 3, {}, "com.err.bad", [1, "two"], {"three": 3}])]
        );
    }

    #[test]
    fn call_needs_the_permission_and_a_valid_uri() {
        let mut kit = Kit::new();
        let guest = kit.join_as("g", "guest", PLAIN);
        let e = kit.send(guest, r#"[48,1,{},"com.closed.x"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.not_authorized");
        let e = kit.send(guest, r#"[48,1,{},"com.open..x"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.invalid_uri");
        // Meta procedures need the permission too.
        let e = kit.send(guest, r#"[48,1,{},"wamp.session.count"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.not_authorized");
        let anon = kit.join("a");
        let e = kit.send(anon, r#"[48,1,{},"wamp.no.such"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.no_such_procedure");
    }

    #[test]
    fn caller_disclosure_by_request_or_role() {
        let (mut kit, _callee, caller) = setup(PLAIN);
        let inv = invocation(&mut kit, caller, r#"[48,1,{},"com.x"]"#);
        assert!(inv[3].get("caller").is_none());
        let inv = invocation(&mut kit, caller, r#"[48,2,{"disclose_me":true},"com.x"]"#);
        assert_eq!(inv[3]["caller"], caller);
        assert_eq!(inv[3]["caller_authid"], "caller");
        assert_eq!(inv[3]["caller_authrole"], "anonymous");
        let discloser = kit.join_as("d", "discloser", PLAIN);
        let inv = invocation(&mut kit, discloser, r#"[48,3,{},"com.x"]"#);
        assert_eq!(inv[3]["caller"], discloser);
        assert_eq!(inv[3]["caller_authrole"], "discloser");
    }

    #[test]
    fn progressive_results_reach_a_caller_that_asked() {
        let (mut kit, callee, caller) = setup(FULL);
        let inv = invocation(
            &mut kit,
            caller,
            r#"[48,1,{"receive_progress":true},"com.x"]"#,
        );
        assert_eq!(inv[3]["receive_progress"], true);
        let i = inv[1].clone();
        kit.send(callee, &format!(r#"[70,{i},{{"progress":true}},[1]]"#));
        assert_eq!(
            kit.to(caller),
            vec![json!([50, 1, {"progress": true}, [1]])]
        );
        kit.send(callee, &format!(r#"[70,{i},{{"progress":true}},[2]]"#));
        assert_eq!(
            kit.to(caller),
            vec![json!([50, 1, {"progress": true}, [2]])]
        );
        kit.send(callee, &format!(r#"[70,{i},{{}},[3]]"#));
        assert_eq!(kit.to(caller), vec![json!([50, 1, {}, [3]])]);
    }

    #[test]
    fn a_caller_that_did_not_ask_gets_only_the_final_result() {
        let (mut kit, callee, caller) = setup(FULL);
        let inv = invocation(&mut kit, caller, r#"[48,1,{},"com.x"]"#);
        assert!(inv[3].get("receive_progress").is_none());
        let i = inv[1].clone();
        assert!(kit
            .send(callee, &format!(r#"[70,{i},{{"progress":true}},[1]]"#))
            .is_empty());
        kit.send(callee, &format!(r#"[70,{i},{{}},[3]]"#));
        assert_eq!(kit.to(caller), vec![json!([50, 1, {}, [3]])]);
    }

    #[test]
    fn receive_progress_is_not_offered_to_a_callee_without_the_feature() {
        let (mut kit, _callee, caller) = setup(PLAIN);
        let inv = invocation(
            &mut kit,
            caller,
            r#"[48,1,{"receive_progress":true},"com.x"]"#,
        );
        assert!(inv[3].get("receive_progress").is_none());
    }

    #[test]
    fn progressive_call_invocations() {
        let (mut kit, callee, caller) = setup(FULL);
        let first = invocation(&mut kit, caller, r#"[48,5,{"progress":true},"com.x",[1]]"#);
        assert_eq!(first[3]["progress"], true);
        let more = kit.send(caller, r#"[48,5,{"progress":true},"com.x",[2]]"#);
        assert_eq!(more[0].0, callee);
        assert_eq!(more[0].1[1], first[1]);
        assert_eq!(more[0].1[3], json!({"progress": true}));
        let last = kit.send(caller, r#"[48,5,{},"com.x",[3]]"#);
        assert_eq!(last[0].1[1], first[1]);
        assert_eq!(last[0].1[3], json!({}));
        assert_eq!(last[0].1[4], json!([3]));
        // The input is closed: the same id again is a violation.
        kit.send(caller, r#"[48,5,{},"com.x",[4]]"#);
        assert_eq!(kit.out.closes, vec![caller]);
    }

    #[test]
    fn progressive_invocations_need_the_callees_feature() {
        let (mut kit, _callee, caller) = setup(PLAIN);
        let e = kit.send(caller, r#"[48,5,{"progress":true},"com.x",[1]]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.feature_not_supported");
    }

    #[test]
    fn call_timeout() {
        let (mut kit, callee, caller) = setup(FULL);
        let inv = invocation(&mut kit, caller, r#"[48,1,{"timeout":250},"com.x"]"#);
        assert_eq!(inv[3]["timeout"], 250);
        let (key, after) = kit.out.timers[0];
        assert_eq!(after, std::time::Duration::from_millis(250));
        let mut out = Output::default();
        kit.core.on_timer(key, &mut out);
        kit.out = out;
        assert_eq!(error_uri(&kit.to(caller)[0]), "wamp.error.timeout");
        assert_eq!(
            kit.to(callee),
            vec![json!([69, inv[1], {"mode": "killnowait", "reason": "wamp.error.timeout"}])]
        );
        // The late YIELD is dropped; the timer firing again does nothing.
        assert!(kit
            .send(callee, &format!("[70,{},{{}}]", inv[1]))
            .is_empty());
        kit.out.clear();
        kit.core.on_timer(key, &mut kit.out);
        kit.core.on_timer(TimerKey(u64::MAX), &mut kit.out);
        assert!(kit.out.messages.is_empty());
    }

    #[test]
    fn a_call_answered_in_time_ignores_its_timer() {
        let (mut kit, callee, caller) = setup(PLAIN);
        let inv = invocation(&mut kit, caller, r#"[48,1,{"timeout":250},"com.x"]"#);
        let (key, _) = kit.out.timers[0];
        kit.send(callee, &format!("[70,{},{{}}]", inv[1]));
        kit.out.clear();
        kit.core.on_timer(key, &mut kit.out);
        assert!(kit.out.messages.is_empty());
    }

    #[test]
    fn cancel_skip() {
        let (mut kit, callee, caller) = setup(FULL);
        let inv = invocation(&mut kit, caller, r#"[48,1,{},"com.x"]"#);
        kit.send(caller, r#"[49,1,{"mode":"skip"}]"#);
        assert!(kit.to(callee).is_empty());
        assert_eq!(error_uri(&kit.to(caller)[0]), "wamp.error.canceled");
        assert!(kit
            .send(callee, &format!("[70,{},{{}}]", inv[1]))
            .is_empty());
        // A CANCEL of a finished call is ignored.
        assert!(kit.send(caller, r#"[49,1,{"mode":"skip"}]"#).is_empty());
    }

    #[test]
    fn cancel_kill_forwards_the_callees_error() {
        let (mut kit, callee, caller) = setup(FULL);
        let inv = invocation(&mut kit, caller, r#"[48,1,{},"com.x"]"#);
        let sent = kit.send(caller, r#"[49,1,{"mode":"kill"}]"#);
        assert_eq!(sent, vec![(callee, json!([69, inv[1], {"mode": "kill"}]))]);
        kit.send(
            callee,
            &format!(
                r#"[8,68,{},{{}},"wamp.error.canceled",["stopped"]]"#,
                inv[1]
            ),
        );
        assert_eq!(
            kit.to(caller),
            vec![json!([8, 48, 1, {}, "wamp.error.canceled", ["stopped"]])]
        );
    }

    #[test]
    fn cancel_killnowait() {
        let (mut kit, callee, caller) = setup(FULL);
        let inv = invocation(&mut kit, caller, r#"[48,1,{},"com.x"]"#);
        kit.send(caller, r#"[49,1,{"mode":"killnowait"}]"#);
        assert_eq!(
            kit.to(callee),
            vec![json!([69, inv[1], {"mode": "killnowait"}])]
        );
        assert_eq!(error_uri(&kit.to(caller)[0]), "wamp.error.canceled");
        assert!(kit
            .send(
                callee,
                &format!(r#"[8,68,{},{{}},"wamp.error.canceled"]"#, inv[1])
            )
            .is_empty());
    }

    #[test]
    fn cancel_falls_back_to_skip_without_call_canceling() {
        let (mut kit, callee, caller) = setup(PLAIN);
        invocation(&mut kit, caller, r#"[48,1,{},"com.x"]"#);
        kit.send(caller, r#"[49,1,{"mode":"kill"}]"#);
        assert!(kit.to(callee).is_empty());
        assert_eq!(error_uri(&kit.to(caller)[0]), "wamp.error.canceled");
    }

    #[test]
    fn a_callee_leaving_fails_its_pending_calls() {
        let (mut kit, callee, caller) = setup(PLAIN);
        invocation(&mut kit, caller, r#"[48,1,{},"com.x"]"#);
        invocation(&mut kit, caller, r#"[48,2,{},"com.x"]"#);
        kit.leave(callee);
        let errors = kit.to(caller);
        assert_eq!(errors.len(), 2);
        for e in &errors {
            assert_eq!(error_uri(e), "wamp.error.canceled");
            assert!(e[5][0].as_str().is_some_and(|m| m.contains("left")));
        }
        let e = kit.send(caller, r#"[48,3,{},"com.x"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.no_such_procedure");
    }

    #[test]
    fn a_caller_leaving_interrupts_callees_that_cancel() {
        let (mut kit, callee, caller) = setup(FULL);
        let inv = invocation(&mut kit, caller, r#"[48,1,{},"com.x"]"#);
        kit.leave(caller);
        assert_eq!(kit.to(callee)[0][0], 69);
        assert_eq!(kit.to(callee)[0][1], inv[1]);
        // Its YIELD now goes nowhere.
        assert!(kit
            .send(callee, &format!("[70,{},{{}}]", inv[1]))
            .is_empty());
        let (mut kit, callee, caller) = setup(PLAIN);
        invocation(&mut kit, caller, r#"[48,1,{},"com.x"]"#);
        kit.leave(caller);
        assert!(kit.to(callee).is_empty());
    }

    #[test]
    fn invocation_ids_are_per_callee() {
        let (mut kit, _callee, caller) = setup(PLAIN);
        let a = invocation(&mut kit, caller, r#"[48,1,{},"com.x"]"#);
        let b = invocation(&mut kit, caller, r#"[48,2,{},"com.x"]"#);
        assert_eq!(a[1], 1);
        assert_eq!(b[1], 2);
    }
}
