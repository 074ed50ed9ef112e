//! The dealer's registrations: REGISTER, UNREGISTER, revocation, and the lookup a CALL uses.
//! Calls themselves are in `calls.rs`.

use std::collections::HashMap;

use crate::router::config::MatchPolicy;
use crate::wamp::error::ProtocolViolation;
use crate::wamp::message::{Parts, REGISTER, UNREGISTER};

use super::authorizer::Action;
use super::broker::match_policy;
use super::calls::Invocation;
use super::options::{self, RegisterOptions};
use super::realm::Realm;
use super::wire::{error, random_id, request_id, text};
use super::{uri, Output, SessionId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvokePolicy {
    Single,
    First,
    Last,
    RoundRobin,
    Random,
}

impl InvokePolicy {
    pub fn from_name(name: Option<&str>) -> Option<InvokePolicy> {
        Some(match name {
            None | Some("single") => InvokePolicy::Single,
            Some("first") => InvokePolicy::First,
            Some("last") => InvokePolicy::Last,
            Some("roundrobin") => InvokePolicy::RoundRobin,
            Some("random") => InvokePolicy::Random,
            Some(_) => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            InvokePolicy::Single => "single",
            InvokePolicy::First => "first",
            InvokePolicy::Last => "last",
            InvokePolicy::RoundRobin => "roundrobin",
            InvokePolicy::Random => "random",
        }
    }
}

pub struct Registration {
    pub id: u64,
    pub uri: String,
    pub policy: MatchPolicy,
    pub invoke: InvokePolicy,
    pub created: String,
    /// Creation order among registrations, for wildcard ties.
    seq: u64,
    /// In registration order.
    pub callees: Vec<SessionId>,
    /// Round-robin position.
    next: usize,
}

impl Registration {
    /// `{id, created, uri, match, invoke}` as the meta API shows it.
    pub fn details(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "created": self.created,
            "uri": self.uri,
            "match": self.policy.name(),
            "invoke": self.invoke.name(),
        })
    }

    /// The callee the next call goes to, per the invocation policy.
    pub fn pick_callee(&mut self) -> Option<SessionId> {
        let n = self.callees.len();
        if n == 0 {
            return None;
        }
        let i = match self.invoke {
            InvokePolicy::Single | InvokePolicy::First => 0,
            InvokePolicy::Last => n - 1,
            InvokePolicy::RoundRobin => {
                let i = self.next % n;
                self.next = i + 1;
                i
            }
            InvokePolicy::Random => {
                use rand::Rng;
                rand::rng().random_range(0..n)
            }
        };
        self.callees.get(i).copied()
    }
}

#[derive(Default)]
pub struct Dealer {
    pub registrations: HashMap<u64, Registration>,
    exact: HashMap<String, u64>,
    prefix: HashMap<String, u64>,
    wildcard: HashMap<String, u64>,
    seq: u64,
    /// Pending invocations by (callee, invocation request id).
    pub invocations: HashMap<(SessionId, u64), Invocation>,
    /// (caller, call request id) -> (callee, invocation request id).
    pub calls: HashMap<(SessionId, u64), (SessionId, u64)>,
    /// Call timeouts: timer key -> (callee, invocation request id).
    pub timers: HashMap<u64, (SessionId, u64)>,
    pub next_timer: u64,
}

impl Dealer {
    fn index(&self, policy: MatchPolicy) -> &HashMap<String, u64> {
        match policy {
            MatchPolicy::Exact => &self.exact,
            MatchPolicy::Prefix => &self.prefix,
            MatchPolicy::Wildcard => &self.wildcard,
        }
    }

    fn index_mut(&mut self, policy: MatchPolicy) -> &mut HashMap<String, u64> {
        match policy {
            MatchPolicy::Exact => &mut self.exact,
            MatchPolicy::Prefix => &mut self.prefix,
            MatchPolicy::Wildcard => &mut self.wildcard,
        }
    }

    pub fn find(&self, uri: &str, policy: MatchPolicy) -> Option<u64> {
        self.index(policy).get(uri).copied()
    }

    pub fn ids(&self, policy: MatchPolicy) -> Vec<u64> {
        self.index(policy).values().copied().collect()
    }

    /// The registration a CALL of `procedure` goes to: exact, else the longest matching
    /// prefix, else the wildcard with the most non-empty components (ties: the oldest).
    pub fn route(&self, procedure: &str) -> Option<u64> {
        if let Some(id) = self.exact.get(procedure) {
            return Some(*id);
        }
        let longest = self
            .prefix
            .iter()
            .filter(|(p, _)| procedure.starts_with(p.as_str()))
            .max_by_key(|(p, _)| p.len());
        if let Some((_, id)) = longest {
            return Some(*id);
        }
        let mut best: Option<(usize, u64, u64)> = None;
        for (pattern, id) in &self.wildcard {
            if !uri::wildcard_matches(pattern, procedure) {
                continue;
            }
            let weight = uri::wildcard_weight(pattern);
            let seq = self.registrations.get(id).map_or(u64::MAX, |r| r.seq);
            let better = match best {
                None => true,
                Some((w, s, _)) => weight > w || (weight == w && seq < s),
            };
            if better {
                best = Some((weight, seq, *id));
            }
        }
        best.map(|(_, _, id)| id)
    }

    fn create(
        &mut self,
        uri: &str,
        policy: MatchPolicy,
        invoke: InvokePolicy,
        created: String,
    ) -> u64 {
        let id = loop {
            let id = random_id();
            if !self.registrations.contains_key(&id) {
                break id;
            }
        };
        self.seq += 1;
        self.registrations.insert(
            id,
            Registration {
                id,
                uri: uri.to_string(),
                policy,
                invoke,
                created,
                seq: self.seq,
                callees: Vec::new(),
                next: 0,
            },
        );
        self.index_mut(policy).insert(uri.to_string(), id);
        id
    }

    fn delete(&mut self, id: u64) {
        if let Some(reg) = self.registrations.remove(&id) {
            self.index_mut(reg.policy).remove(&reg.uri);
        }
    }
}

impl Realm {
    pub fn on_register(
        &mut self,
        sid: SessionId,
        parts: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        parts.expect_len(4, 4)?;
        let request = request_id(parts, 1, "request")?;
        let opts: RegisterOptions = options::read(parts.dict(2, "options")?);
        let procedure = text(parts, 3, "procedure")?;
        let fail = |out: &mut Output, uri: &str, msg: &str| {
            out.messages
                .push((sid, error(REGISTER, request, uri, Some(msg))));
        };
        let (Some(policy), Some(invoke)) = (
            match_policy(opts.match_policy.as_deref()),
            InvokePolicy::from_name(opts.invoke.as_deref()),
        ) else {
            fail(
                out,
                "wamp.error.invalid_argument",
                "unknown match or invoke policy",
            );
            return Ok(());
        };
        if !uri::is_valid(&procedure, policy) {
            let msg = format!(
                "invalid procedure URI '{procedure}' for match {}",
                policy.name()
            );
            fail(out, "wamp.error.invalid_uri", &msg);
            return Ok(());
        }
        let Some(session) = self.sessions.get(&sid) else {
            return Ok(());
        };
        if let Err(denial) = self.roles[session.role].authorize(&procedure, Action::Register) {
            let msg = format!("session is not authorized to register procedure '{procedure}'");
            fail(out, denial.error_uri(), &msg);
            return Ok(());
        }
        if let Some(existing) = self.dealer.find(&procedure, policy) {
            let Some(reg) = self.dealer.registrations.get(&existing) else {
                return Ok(());
            };
            let taken = reg.callees.contains(&sid)
                || reg.invoke != invoke
                || invoke == InvokePolicy::Single;
            if taken && opts.force_reregister && !reg.callees.contains(&sid) {
                // The new callee replaces every existing one.
                for callee in reg.callees.clone() {
                    self.revoke_callee(existing, callee, "wamp.error.force_reregister", out);
                }
            } else if taken {
                let msg = format!("procedure '{procedure}' is already registered");
                fail(out, "wamp.error.procedure_already_exists", &msg);
                return Ok(());
            } else {
                self.add_callee(existing, sid, request, out);
                return Ok(());
            }
        }
        let created = self.now();
        let reg_id = self.dealer.create(&procedure, policy, invoke, created);
        self.add_callee(reg_id, sid, request, out);
        Ok(())
    }

    fn add_callee(&mut self, reg_id: u64, sid: SessionId, request: u64, out: &mut Output) {
        let Some(reg) = self.dealer.registrations.get_mut(&reg_id) else {
            return;
        };
        let first = reg.callees.is_empty();
        reg.callees.push(sid);
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.registrations.push(reg_id);
        }
        out.messages.push((sid, format!("[65,{request},{reg_id}]")));
        if first {
            self.publish_meta("wamp.registration.on_create", out, |r| {
                let details = r.dealer.registrations.get(&reg_id).map(|g| g.details());
                serde_json::json!([sid, details]).to_string()
            });
        }
        self.publish_meta("wamp.registration.on_register", out, |_| {
            format!("[{sid},{reg_id}]")
        });
    }

    pub fn on_unregister(
        &mut self,
        sid: SessionId,
        parts: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        parts.expect_len(3, 3)?;
        let request = request_id(parts, 1, "request")?;
        let reg_id = parts.id(2, "registration")?;
        let registered = self
            .dealer
            .registrations
            .get(&reg_id)
            .is_some_and(|r| r.callees.contains(&sid));
        if !registered {
            let msg = format!("no registration {reg_id} of this session");
            out.messages.push((
                sid,
                error(
                    UNREGISTER,
                    request,
                    "wamp.error.no_such_registration",
                    Some(&msg),
                ),
            ));
            return Ok(());
        }
        out.messages.push((sid, format!("[67,{request}]")));
        self.remove_callee(reg_id, sid, out);
        Ok(())
    }

    /// Router-initiated: the callee gets UNREGISTERED(0, {registration, reason}).
    pub fn revoke_callee(
        &mut self,
        reg_id: u64,
        sid: SessionId,
        reason: &str,
        out: &mut Output,
    ) -> bool {
        let registered = self
            .dealer
            .registrations
            .get(&reg_id)
            .is_some_and(|r| r.callees.contains(&sid));
        if !registered {
            return false;
        }
        let details = serde_json::json!({"registration": reg_id, "reason": reason});
        out.messages.push((sid, format!("[67,0,{details}]")));
        self.remove_callee(reg_id, sid, out)
    }

    /// Takes `sid` off registration `reg_id` (deleting it with its last callee) and publishes
    /// the meta events. False when it was not a callee.
    pub fn remove_callee(&mut self, reg_id: u64, sid: SessionId, out: &mut Output) -> bool {
        let Some(reg) = self.dealer.registrations.get_mut(&reg_id) else {
            return false;
        };
        let Some(pos) = reg.callees.iter().position(|c| *c == sid) else {
            return false;
        };
        reg.callees.remove(pos);
        if reg.next > pos {
            reg.next -= 1;
        }
        let now_empty = reg.callees.is_empty();
        if now_empty {
            self.dealer.delete(reg_id);
        }
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.registrations.retain(|r| *r != reg_id);
        }
        self.publish_meta("wamp.registration.on_unregister", out, |_| {
            format!("[{sid},{reg_id}]")
        });
        if now_empty {
            self.publish_meta("wamp.registration.on_delete", out, |_| {
                format!("[{sid},{reg_id}]")
            });
        }
        true
    }
}
