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

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use serde_json::json;

    #[test]
    fn register_and_unregister() {
        let mut kit = Kit::new();
        let callee = kit.join("callee");
        let caller = kit.join("caller");
        let reg = kit.register(callee, "com.add", "{}");
        kit.send(caller, r#"[48,5,{},"com.add",[1,2]]"#);
        let inv = &kit.to(callee)[0];
        assert_eq!(inv[0], 68);
        assert_eq!(inv[2], reg);
        assert_eq!(inv[3], json!({}));
        assert_eq!(inv[4], json!([1, 2]));
        // Someone else's registration.
        let other = kit.send(caller, &format!("[66,3,{reg}]"));
        assert_eq!(error_uri(&other[0].1), "wamp.error.no_such_registration");
        assert_eq!(
            kit.send(callee, &format!("[66,3,{reg}]"))[0].1,
            json!([67, 3])
        );
        let e = kit.send(caller, r#"[48,6,{},"com.add"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.no_such_procedure");
        let again = kit.send(callee, &format!("[66,4,{reg}]"));
        assert_eq!(error_uri(&again[0].1), "wamp.error.no_such_registration");
    }

    #[test]
    fn invalid_uris_and_reserved_names_are_refused() {
        let mut kit = Kit::new();
        let s = kit.join("s");
        for (text, uri) in [
            (r#"[64,1,{},"com..x"]"#, "wamp.error.invalid_uri"),
            (
                r#"[64,1,{"match":"prefix"},"com..x"]"#,
                "wamp.error.invalid_uri",
            ),
            (r#"[64,1,{},"com.a b"]"#, "wamp.error.invalid_uri"),
            (
                r#"[64,1,{},"wamp.session.count"]"#,
                "wamp.error.invalid_uri",
            ),
            (
                r#"[64,1,{"match":"fuzzy"},"com.x"]"#,
                "wamp.error.invalid_argument",
            ),
            (
                r#"[64,1,{"invoke":"all"},"com.x"]"#,
                "wamp.error.invalid_argument",
            ),
        ] {
            assert_eq!(error_uri(&kit.send(s, text)[0].1), uri, "{text}");
        }
        assert!(kit.register(s, "com..x", r#"{"match":"wildcard"}"#) > 0);
        assert!(kit.register(s, "com.", r#"{"match":"prefix"}"#) > 0);
    }

    #[test]
    fn register_needs_the_permission() {
        let mut kit = Kit::new();
        let guest = kit.join_as("g", "guest", PLAIN);
        let e = kit.send(guest, r#"[64,1,{},"com.open.x"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.not_authorized");
    }

    #[test]
    fn a_second_single_registration_is_refused() {
        let mut kit = Kit::new();
        let a = kit.join("a");
        let b = kit.join("b");
        kit.register(a, "com.x", "{}");
        let e = kit.send(b, r#"[64,2,{},"com.x"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.procedure_already_exists");
        let e = kit.send(a, r#"[64,2,{},"com.x"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.procedure_already_exists");
        // Another match policy is another registration.
        kit.register(b, "com.x", r#"{"match":"prefix"}"#);
    }

    #[test]
    fn force_reregister_replaces_the_callee() {
        let mut kit = Kit::new();
        let old = kit.join("old");
        let new = kit.join("new");
        let caller = kit.join("caller");
        let old_reg = kit.register(old, "com.x", "{}");
        let sent = kit.send(new, r#"[64,2,{"force_reregister":true},"com.x"]"#);
        let unreg = &sent.iter().find(|(s, _)| *s == old).unwrap().1;
        assert_eq!(unreg[0], 67);
        assert_eq!(unreg[1], 0);
        assert_eq!(unreg[2]["registration"], old_reg);
        assert!(unreg[2]["reason"].is_string());
        assert_eq!(kit.to(new)[0][0], 65);
        kit.send(caller, r#"[48,1,{},"com.x"]"#);
        assert_eq!(kit.to(new)[0][0], 68);
        assert!(kit.to(old).is_empty());
    }

    fn shared(policy: &str, callees: usize) -> (Kit, Vec<u64>, u64) {
        let mut kit = Kit::new();
        let ids: Vec<u64> = (0..callees).map(|i| kit.join(&format!("c{i}"))).collect();
        let opts = format!("{{\"invoke\":\"{policy}\"}}");
        let reg = kit.register(ids[0], "com.x", &opts);
        for id in &ids[1..] {
            assert_eq!(kit.register(*id, "com.x", &opts), reg);
        }
        let caller = kit.join("caller");
        (kit, ids, caller)
    }

    fn call_targets(kit: &mut Kit, caller: u64, n: usize) -> Vec<u64> {
        (0..n)
            .map(|i| {
                let sent = kit.send(caller, &format!("[48,{},{{}},\"com.x\"]", i + 1));
                assert_eq!(sent.len(), 1);
                let (callee, inv) = (sent[0].0, &sent[0].1);
                kit.send(callee, &format!("[70,{},{{}}]", inv[1]));
                callee
            })
            .collect()
    }

    #[test]
    fn roundrobin_alternates() {
        let (mut kit, ids, caller) = shared("roundrobin", 2);
        assert_eq!(
            call_targets(&mut kit, caller, 4),
            vec![ids[0], ids[1], ids[0], ids[1]]
        );
    }

    #[test]
    fn roundrobin_skips_gone_callees() {
        let (mut kit, ids, caller) = shared("roundrobin", 3);
        assert_eq!(call_targets(&mut kit, caller, 1), vec![ids[0]]);
        kit.leave(ids[1]);
        assert_eq!(
            call_targets(&mut kit, caller, 3),
            vec![ids[2], ids[0], ids[2]]
        );
    }

    #[test]
    fn first_and_last() {
        let (mut kit, ids, caller) = shared("first", 3);
        assert_eq!(call_targets(&mut kit, caller, 3), vec![ids[0]; 3]);
        let (mut kit, ids, caller) = shared("last", 3);
        assert_eq!(call_targets(&mut kit, caller, 3), vec![ids[2]; 3]);
        kit.leave(ids[2]);
        assert_eq!(call_targets(&mut kit, caller, 1), vec![ids[1]]);
    }

    #[test]
    fn random_reaches_every_callee() {
        let (mut kit, ids, caller) = shared("random", 3);
        let targets = call_targets(&mut kit, caller, 200);
        for id in ids {
            assert!(targets.contains(&id));
        }
    }

    #[test]
    fn the_first_registration_fixes_the_policy() {
        let (mut kit, _ids, _caller) = shared("roundrobin", 1);
        let other = kit.join("other");
        let e = kit.send(other, r#"[64,2,{"invoke":"random"},"com.x"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.procedure_already_exists");
    }

    #[test]
    fn routing_precedence() {
        let mut kit = Kit::new();
        let exact = kit.join("exact");
        let short = kit.join("short");
        let long = kit.join("long");
        let wild = kit.join("wild");
        let wild2 = kit.join("wild2");
        let caller = kit.join("caller");
        kit.register(exact, "a.b.c", "{}");
        kit.register(short, "a.", r#"{"match":"prefix"}"#);
        kit.register(long, "a.b.", r#"{"match":"prefix"}"#);
        kit.register(wild, "x..z", r#"{"match":"wildcard"}"#);
        kit.register(wild2, "x.y.", r#"{"match":"wildcard"}"#);
        let target = |kit: &mut Kit, uri: &str| {
            let sent = kit.send(caller, &format!("[48,1,{{}},\"{uri}\"]"));
            kit.send(sent[0].0, &format!("[70,{},{{}}]", sent[0].1[1]));
            sent[0].0
        };
        assert_eq!(target(&mut kit, "a.b.c"), exact);
        assert_eq!(target(&mut kit, "a.b.d"), long);
        assert_eq!(target(&mut kit, "a.c"), short);
        // Equal weight (two non-empty components): the older registration wins.
        assert_eq!(target(&mut kit, "x.y.z"), wild);
        assert_eq!(target(&mut kit, "x.q.z"), wild);
        assert_eq!(target(&mut kit, "x.y.q"), wild2);
        let e = kit.send(caller, r#"[48,1,{},"x.q.q"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.no_such_procedure");
        // A prefix beats a wildcard.
        let pre = kit.join("pre");
        kit.register(pre, "x.", r#"{"match":"prefix"}"#);
        assert_eq!(target(&mut kit, "x.y.z"), pre);
    }

    #[test]
    fn wildcard_components_must_match_in_number() {
        let mut kit = Kit::new();
        let callee = kit.join("callee");
        let caller = kit.join("caller");
        kit.register(callee, "a..c", r#"{"match":"wildcard"}"#);
        let sent = kit.send(caller, r#"[48,1,{},"a.b.c"]"#);
        assert_eq!(sent[0].1[3]["procedure"], "a.b.c");
        let e = kit.send(caller, r#"[48,2,{},"a.b.d"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.no_such_procedure");
        let e = kit.send(caller, r#"[48,3,{},"a.b.c.d"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.no_such_procedure");
    }
}
