//! The broker: SUBSCRIBE, UNSUBSCRIBE, PUBLISH, EVENT delivery, retained events, and
//! the subscription side of session cleanup.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::router::config::MatchPolicy;
use crate::wamp::error::ProtocolViolation;
use crate::wamp::message::{quote, Parts, Payload, PUBLISH, SUBSCRIBE, UNSUBSCRIBE};

use super::authorizer::Action;
use super::options::{self, PublishOptions, SubscribeOptions};
use super::realm::{Realm, Session};
use super::wire::{error, random_id, request_id, text};
use super::{uri, Output, SessionId};

pub struct Subscription {
    pub id: u64,
    pub uri: String,
    pub policy: MatchPolicy,
    pub created: String,
    /// Each session once, in subscription order.
    pub subscribers: Vec<SessionId>,
}

impl Subscription {
    /// `{id, created, uri, match}` as the meta API shows it.
    pub fn details(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "created": self.created,
            "uri": self.uri,
            "match": self.policy.name(),
        })
    }
}

/// The event kept for a topic published with `retain: true`.
struct Retained {
    publication: u64,
    args: Option<String>,
    kwargs: Option<String>,
    disclosure: String,
    options: PublishOptions,
}

#[derive(Default)]
pub struct Broker {
    pub subscriptions: HashMap<u64, Subscription>,
    exact: HashMap<String, u64>,
    prefix: HashMap<String, u64>,
    wildcard: HashMap<String, u64>,
    retained: HashMap<String, Retained>,
}

/// One publication on its way to subscribers.
struct Delivery<'a> {
    topic: &'a str,
    publication: u64,
    payload: Payload<'a>,
    /// Excluded from delivery (`exclude_me`), if any.
    excluded_publisher: Option<SessionId>,
    /// Receiver filters, when the publication has any.
    filters: Option<&'a PublishOptions>,
    /// `,"publisher":..` keys for EVENT.Details, or empty.
    disclosure: &'a str,
    retained: bool,
}

impl Broker {
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

    /// The subscription of (uri, policy), if any.
    pub fn find(&self, uri: &str, policy: MatchPolicy) -> Option<u64> {
        self.index(policy).get(uri).copied()
    }

    /// Every subscription whose pattern matches `topic`: exact, then prefixes, then wildcards.
    pub fn matching<'s>(&'s self, topic: &'s str) -> impl Iterator<Item = &'s Subscription> + 's {
        let exact = self.exact.get(topic).into_iter();
        let prefix = self
            .prefix
            .iter()
            .filter(move |(p, _)| topic.starts_with(p.as_str()))
            .map(|(_, id)| id);
        let wildcard = self
            .wildcard
            .iter()
            .filter(move |(p, _)| uri::wildcard_matches(p, topic))
            .map(|(_, id)| id);
        exact
            .chain(prefix)
            .chain(wildcard)
            .filter_map(|id| self.subscriptions.get(id))
    }

    pub fn has_match(&self, topic: &str) -> bool {
        self.matching(topic).next().is_some()
    }

    pub fn ids(&self, policy: MatchPolicy) -> Vec<u64> {
        self.index(policy).values().copied().collect()
    }

    fn deliver(&self, sessions: &HashMap<SessionId, Session>, d: &Delivery, out: &mut Output) {
        for sub in self.matching(d.topic) {
            self.deliver_to(sessions, sub, &sub.subscribers, d, out);
        }
    }

    fn deliver_to(
        &self,
        sessions: &HashMap<SessionId, Session>,
        sub: &Subscription,
        receivers: &[SessionId],
        d: &Delivery,
        out: &mut Output,
    ) {
        let details = event_details(sub, d);
        for &sid in receivers {
            if !receives(sessions, sid, d) {
                continue;
            }
            let ev = d.payload.event(&[36, sub.id, d.publication], &details);
            out.messages.push((sid, ev));
        }
    }

    fn remove_from_index(&mut self, sub_id: u64) -> Option<Subscription> {
        let sub = self.subscriptions.remove(&sub_id)?;
        self.index_mut(sub.policy).remove(&sub.uri);
        Some(sub)
    }
}

fn event_details<'a>(sub: &Subscription, d: &Delivery) -> Cow<'a, str> {
    let pattern = sub.policy != MatchPolicy::Exact;
    if !pattern && d.disclosure.is_empty() && !d.retained {
        return Cow::Borrowed("{}");
    }
    let mut s = String::with_capacity(32 + d.topic.len() + d.disclosure.len());
    if pattern {
        s.push_str(",\"topic\":");
        s.push_str(&quote(d.topic));
    }
    s.push_str(d.disclosure);
    if d.retained {
        s.push_str(",\"retained\":true");
    }
    s.replace_range(0..1, "{");
    s.push('}');
    Cow::Owned(s)
}

/// Whether session `sid` passes the publication's receiver filters.
fn receives(sessions: &HashMap<SessionId, Session>, sid: SessionId, d: &Delivery) -> bool {
    if d.excluded_publisher == Some(sid) {
        return false;
    }
    let Some(f) = d.filters else {
        return true;
    };
    if f.exclude.contains(&sid) || f.eligible.as_ref().is_some_and(|e| !e.contains(&sid)) {
        return false;
    }
    let Some(s) = sessions.get(&sid) else {
        return false;
    };
    let listed = |list: &Vec<String>, v: &String| list.iter().any(|x| x == v);
    !listed(&f.exclude_authid, &s.authid)
        && !listed(&f.exclude_authrole, &s.authrole)
        && f.eligible_authid
            .as_ref()
            .is_none_or(|l| listed(l, &s.authid))
        && f.eligible_authrole
            .as_ref()
            .is_none_or(|l| listed(l, &s.authrole))
}

/// `match` from SUBSCRIBE or REGISTER options.
pub fn match_policy(name: Option<&str>) -> Option<MatchPolicy> {
    match name {
        None => Some(MatchPolicy::Exact),
        Some(n) => MatchPolicy::from_name(n),
    }
}

impl Realm {
    pub fn on_subscribe(
        &mut self,
        sid: SessionId,
        parts: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        parts.expect_len(4, 4)?;
        let request = request_id(parts, 1, "request")?;
        let opts: SubscribeOptions = options::read(parts.dict(2, "options")?);
        let topic = text(parts, 3, "topic")?;
        let fail = |out: &mut Output, uri: &str, msg: &str| {
            out.messages
                .push((sid, error(SUBSCRIBE, request, uri, Some(msg))));
        };
        let Some(policy) = match_policy(opts.match_policy.as_deref()) else {
            fail(out, "wamp.error.invalid_argument", "unknown match policy");
            return Ok(());
        };
        if !uri::is_valid(&topic, policy) {
            fail(
                out,
                "wamp.error.invalid_uri",
                &format!("invalid topic URI '{topic}' for match {}", policy.name()),
            );
            return Ok(());
        }
        let Some(session) = self.sessions.get(&sid) else {
            return Ok(());
        };
        if let Err(denial) = self.roles[session.role].authorize(&topic, Action::Subscribe) {
            let msg = format!("session is not authorized to subscribe to topic '{topic}'");
            fail(out, denial.error_uri(), &msg);
            return Ok(());
        }
        let (sub_id, created) = match self.broker.find(&topic, policy) {
            Some(id) => (id, false),
            None => {
                let id = self.fresh_subscription_id();
                let sub = Subscription {
                    id,
                    uri: topic.to_string(),
                    policy,
                    created: self.now(),
                    subscribers: Vec::new(),
                };
                self.broker.subscriptions.insert(id, sub);
                self.broker.index_mut(policy).insert(topic.to_string(), id);
                (id, true)
            }
        };
        let Some(sub) = self.broker.subscriptions.get_mut(&sub_id) else {
            return Ok(());
        };
        let new_subscriber = !sub.subscribers.contains(&sid);
        if new_subscriber {
            sub.subscribers.push(sid);
            if let Some(s) = self.sessions.get_mut(&sid) {
                s.subscriptions.push(sub_id);
            }
        }
        out.messages.push((sid, format!("[33,{request},{sub_id}]")));
        if opts.get_retained {
            self.send_retained(sid, sub_id, out);
        }
        if created {
            self.publish_meta("wamp.subscription.on_create", out, |r| {
                let details = r
                    .broker
                    .subscriptions
                    .get(&sub_id)
                    .map(Subscription::details);
                serde_json::json!([sid, details]).to_string()
            });
        }
        if new_subscriber {
            self.publish_meta("wamp.subscription.on_subscribe", out, |_| {
                format!("[{sid},{sub_id}]")
            });
        }
        Ok(())
    }

    fn fresh_subscription_id(&self) -> u64 {
        loop {
            let id = random_id();
            if !self.broker.subscriptions.contains_key(&id) {
                return id;
            }
        }
    }

    fn send_retained(&self, sid: SessionId, sub_id: u64, out: &mut Output) {
        let Some(sub) = self.broker.subscriptions.get(&sub_id) else {
            return;
        };
        for (topic, r) in &self.broker.retained {
            if !uri::matches(&sub.uri, sub.policy, topic) {
                continue;
            }
            let d = Delivery {
                topic,
                publication: r.publication,
                payload: Payload {
                    args: r.args.as_deref(),
                    kwargs: r.kwargs.as_deref(),
                },
                excluded_publisher: None,
                filters: r.options.has_filters().then_some(&r.options),
                disclosure: &r.disclosure,
                retained: true,
            };
            self.broker.deliver_to(&self.sessions, sub, &[sid], &d, out);
        }
    }

    pub fn on_unsubscribe(
        &mut self,
        sid: SessionId,
        parts: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        parts.expect_len(3, 3)?;
        let request = request_id(parts, 1, "request")?;
        let sub_id = parts.id(2, "subscription")?;
        let subscribed = self
            .broker
            .subscriptions
            .get(&sub_id)
            .is_some_and(|s| s.subscribers.contains(&sid));
        if !subscribed {
            let msg = format!("no subscription {sub_id} of this session");
            out.messages.push((
                sid,
                error(
                    UNSUBSCRIBE,
                    request,
                    "wamp.error.no_such_subscription",
                    Some(&msg),
                ),
            ));
            return Ok(());
        }
        out.messages.push((sid, format!("[35,{request}]")));
        self.remove_subscriber(sub_id, sid, out);
        Ok(())
    }

    /// Takes `sid` off subscription `sub_id` (deleting the subscription when it was the last
    /// subscriber) and publishes the meta events. False when it was not subscribed.
    pub fn remove_subscriber(&mut self, sub_id: u64, sid: SessionId, out: &mut Output) -> bool {
        let Some(sub) = self.broker.subscriptions.get_mut(&sub_id) else {
            return false;
        };
        let Some(pos) = sub.subscribers.iter().position(|s| *s == sid) else {
            return false;
        };
        sub.subscribers.remove(pos);
        let now_empty = sub.subscribers.is_empty();
        if now_empty {
            self.broker.remove_from_index(sub_id);
        }
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.subscriptions.retain(|x| *x != sub_id);
        }
        self.publish_meta("wamp.subscription.on_unsubscribe", out, |_| {
            format!("[{sid},{sub_id}]")
        });
        if now_empty {
            self.publish_meta("wamp.subscription.on_delete", out, |_| {
                format!("[{sid},{sub_id}]")
            });
        }
        true
    }

    pub fn on_publish(
        &mut self,
        sid: SessionId,
        parts: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        parts.expect_len(4, 6)?;
        let request = request_id(parts, 1, "request")?;
        let opts_raw = parts.dict(2, "options")?;
        let topic = text(parts, 3, "topic")?;
        let payload = parts.payload(4)?;
        let opts: PublishOptions = options::read(opts_raw);
        let fail = |out: &mut Output, uri: &str, msg: String| {
            if opts.acknowledge {
                out.messages
                    .push((sid, error(PUBLISH, request, uri, Some(&msg))));
            }
        };
        if !uri::is_valid_exact(&topic) {
            fail(
                out,
                "wamp.error.invalid_uri",
                format!("invalid topic URI '{topic}'"),
            );
            return Ok(());
        }
        let Some(session) = self.sessions.get(&sid) else {
            return Ok(());
        };
        let grant = match self.roles[session.role].authorize(&topic, Action::Publish) {
            Ok(g) => g,
            Err(denial) => {
                let msg = format!("session is not authorized to publish to topic '{topic}'");
                fail(out, denial.error_uri(), msg);
                return Ok(());
            }
        };
        let disclosure = if opts.disclose_me || grant.disclose.publisher {
            format!(
                ",\"publisher\":{},\"publisher_authid\":{},\"publisher_authrole\":{}",
                session.id, session.authid_json, session.authrole_json
            )
        } else {
            String::new()
        };
        let publication = random_id();
        let d = Delivery {
            topic: &topic,
            publication,
            payload,
            excluded_publisher: opts.exclude_me.unwrap_or(true).then_some(sid),
            filters: opts.has_filters().then_some(&opts),
            disclosure: &disclosure,
            retained: false,
        };
        self.broker.deliver(&self.sessions, &d, out);
        if opts.acknowledge {
            out.messages
                .push((sid, format!("[17,{request},{publication}]")));
        }
        if opts.retain {
            let retained = Retained {
                publication,
                args: payload.args.map(String::from),
                kwargs: payload.kwargs.map(String::from),
                disclosure,
                options: opts,
            };
            self.broker.retained.insert(topic.into_owned(), retained);
        }
        Ok(())
    }

    /// Publishes an event of the router itself (meta events, testaments): no publisher,
    /// nobody excluded. `args` writes the payload, called only when someone subscribed.
    pub fn publish_meta(&self, topic: &str, out: &mut Output, args: impl FnOnce(&Realm) -> String) {
        if !self.broker.has_match(topic) {
            return;
        }
        let args = args(self);
        self.publish_as_router(
            topic,
            Payload {
                args: Some(&args),
                kwargs: None,
            },
            None,
            out,
        );
    }

    /// Publishes `payload` on `topic` from the router, with optional receiver filters.
    pub fn publish_as_router(
        &self,
        topic: &str,
        payload: Payload,
        filters: Option<&PublishOptions>,
        out: &mut Output,
    ) {
        let d = Delivery {
            topic,
            publication: random_id(),
            payload,
            excluded_publisher: None,
            filters: filters.filter(|f| f.has_filters()),
            disclosure: "",
            retained: false,
        };
        self.broker.deliver(&self.sessions, &d, out);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use serde_json::{json, Value};

    fn events(kit: &Kit, s: u64) -> Vec<Value> {
        kit.to(s).into_iter().filter(|m| m[0] == 36).collect()
    }

    #[test]
    fn one_subscription_id_per_topic_and_no_duplicate_delivery() {
        let mut kit = Kit::new();
        let a = kit.join("a");
        let b = kit.join("b");
        let pubr = kit.join("p");
        let id = kit.subscribe(a, "com.t", "{}");
        assert_eq!(kit.subscribe(a, "com.t", "{}"), id);
        assert_eq!(kit.subscribe(b, "com.t", "{}"), id);
        kit.send(pubr, r#"[16,1,{},"com.t",[1],{"k":2}]"#);
        for s in [a, b] {
            let ev = events(&kit, s);
            assert_eq!(ev.len(), 1);
            assert_eq!(ev[0][1], id);
            assert_eq!(ev[0][3], json!({}));
            assert_eq!(ev[0][4], json!([1]));
            assert_eq!(ev[0][5], json!({"k": 2}));
        }
    }

    #[test]
    fn pattern_subscriptions_get_the_topic() {
        let mut kit = Kit::new();
        let s = kit.join("s");
        let p = kit.join("p");
        let pre = kit.subscribe(s, "com.", r#"{"match":"prefix"}"#);
        let wild = kit.subscribe(s, "com..t", r#"{"match":"wildcard"}"#);
        let exact = kit.subscribe(s, "com.a.t", "{}");
        kit.send(p, r#"[16,1,{},"com.a.t"]"#);
        let ev = events(&kit, s);
        assert_eq!(ev.len(), 3, "one EVENT per matching subscription");
        let by_sub = |id: u64| ev.iter().find(|e| e[1] == id).unwrap().clone();
        assert_eq!(by_sub(pre)[3]["topic"], "com.a.t");
        assert_eq!(by_sub(wild)[3]["topic"], "com.a.t");
        assert!(by_sub(exact)[3].get("topic").is_none());
        assert_eq!(by_sub(pre)[2], by_sub(exact)[2], "one publication id");
        kit.send(p, r#"[16,1,{},"com.a.u"]"#);
        assert_eq!(events(&kit, s).len(), 1);
        kit.send(p, r#"[16,1,{},"org.a.t"]"#);
        assert!(events(&kit, s).is_empty());
    }

    #[test]
    fn subscribe_needs_the_permission_and_a_valid_uri() {
        let mut kit = Kit::new();
        let g = kit.join_as("g", "guest", PLAIN);
        let e = kit.send(g, r#"[32,1,{},"com.closed.t"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.not_authorized");
        let e = kit.send(g, r#"[32,1,{},"com.open..t"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.invalid_uri");
        let e = kit.send(g, r#"[32,1,{"match":"x"},"com.open.t"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.invalid_argument");
        kit.subscribe(g, "com.open.t", "{}");
        // Meta topics may be subscribed when the role permits.
        let e = kit.send(g, r#"[32,1,{},"wamp.session.on_join"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.not_authorized");
        let a = kit.join("a");
        kit.subscribe(a, "wamp.session.on_join", "{}");
    }

    #[test]
    fn publish_permission_acknowledged_or_silent() {
        let mut kit = Kit::new();
        let sub = kit.join("s");
        kit.subscribe(sub, "com.open.t", "{}");
        let g = kit.join_as("g", "guest", PLAIN);
        let e = kit.send(g, r#"[16,1,{"acknowledge":true},"com.open.t"]"#);
        assert_eq!(e.len(), 1);
        assert_eq!(error_uri(&e[0].1), "wamp.error.not_authorized");
        assert!(kit.send(g, r#"[16,2,{},"com.open.t"]"#).is_empty());
        let e = kit.send(g, r#"[16,1,{"acknowledge":true},"com..t"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.invalid_uri");
        assert!(kit.send(g, r#"[16,1,{},"com..t"]"#).is_empty());
        let a = kit.join("a");
        let e = kit.send(a, r#"[16,1,{"acknowledge":true},"wamp.session.on_join"]"#);
        assert_eq!(error_uri(&e[0].1), "wamp.error.invalid_uri");
    }

    #[test]
    fn acknowledged_publication_id_equals_the_events() {
        let mut kit = Kit::new();
        let s = kit.join("s");
        let p = kit.join("p");
        kit.subscribe(s, "com.t", "{}");
        kit.send(p, r#"[16,7,{"acknowledge":true},"com.t"]"#);
        let ack = &kit.to(p)[0];
        assert_eq!(ack[0], 17);
        assert_eq!(ack[1], 7);
        assert_eq!(events(&kit, s)[0][2], ack[2]);
        let n = ack[2].as_u64().unwrap();
        assert!((1..=1u64 << 53).contains(&n));
    }

    #[test]
    fn exclude_me() {
        let mut kit = Kit::new();
        let p = kit.join("p");
        kit.subscribe(p, "com.t", "{}");
        kit.send(p, r#"[16,1,{},"com.t"]"#);
        assert!(events(&kit, p).is_empty());
        kit.send(p, r#"[16,1,{"exclude_me":false},"com.t"]"#);
        assert_eq!(events(&kit, p).len(), 1);
    }

    /// Subscribers a1, a2 (authid a, role anonymous) and d (authid d, role discloser).
    fn three() -> (Kit, [u64; 3], u64) {
        let mut kit = Kit::new();
        let a1 = kit.join("a");
        let a2 = kit.join("a");
        let d = kit.join_as("d", "discloser", PLAIN);
        for s in [a1, a2, d] {
            kit.subscribe(s, "com.t", "{}");
        }
        let p = kit.join("p");
        (kit, [a1, a2, d], p)
    }

    fn receivers(kit: &mut Kit, p: u64, opts: &str) -> Vec<u64> {
        let sent = kit.send(p, &format!("[16,1,{opts},\"com.t\"]"));
        let mut r: Vec<u64> = sent.iter().map(|(s, _)| *s).collect();
        r.sort_unstable();
        r
    }

    fn sorted(mut v: Vec<u64>) -> Vec<u64> {
        v.sort_unstable();
        v
    }

    #[test]
    fn receiver_filters() {
        let (mut kit, [a1, a2, d], p) = three();
        assert_eq!(receivers(&mut kit, p, "{}"), sorted(vec![a1, a2, d]));
        assert_eq!(
            receivers(&mut kit, p, &format!("{{\"exclude\":[{a1}]}}")),
            sorted(vec![a2, d])
        );
        assert_eq!(
            receivers(&mut kit, p, &format!("{{\"eligible\":[{a1},{d}]}}")),
            sorted(vec![a1, d])
        );
        assert_eq!(
            receivers(&mut kit, p, r#"{"exclude_authid":["a"]}"#),
            vec![d]
        );
        assert_eq!(
            receivers(&mut kit, p, r#"{"eligible_authid":["a"]}"#),
            sorted(vec![a1, a2])
        );
        assert_eq!(
            receivers(&mut kit, p, r#"{"exclude_authrole":["discloser"]}"#),
            sorted(vec![a1, a2])
        );
        assert_eq!(
            receivers(&mut kit, p, r#"{"eligible_authrole":["discloser"]}"#),
            vec![d]
        );
        // Every filter given must pass.
        let both = format!("{{\"eligible_authid\":[\"a\"],\"exclude\":[{a2}]}}");
        assert_eq!(receivers(&mut kit, p, &both), vec![a1]);
        assert!(receivers(&mut kit, p, r#"{"eligible":[]}"#).is_empty());
    }

    #[test]
    fn publisher_disclosure_by_request_or_role() {
        let (mut kit, [a1, _, _], p) = three();
        kit.send(p, r#"[16,1,{},"com.t"]"#);
        assert_eq!(events(&kit, a1)[0][3], json!({}));
        kit.send(p, r#"[16,1,{"disclose_me":true},"com.t"]"#);
        assert_eq!(
            events(&kit, a1)[0][3],
            json!({"publisher": p, "publisher_authid": "p", "publisher_authrole": "anonymous"})
        );
        let dp = kit.join_as("dp", "discloser", PLAIN);
        kit.send(dp, r#"[16,1,{},"com.t"]"#);
        assert_eq!(events(&kit, a1)[0][3]["publisher"], dp);
    }

    #[test]
    fn retained_events() {
        let mut kit = Kit::new();
        let p = kit.join("p");
        kit.send(p, r#"[16,1,{"retain":true},"com.t",[1]]"#);
        kit.send(
            p,
            r#"[16,2,{"retain":true,"acknowledge":true},"com.t",[2]]"#,
        );
        let publication = kit.to(p)[0][2].clone();
        let s = kit.join("s");
        // Without get_retained: nothing.
        kit.send(s, r#"[32,1,{},"com.t"]"#);
        assert!(events(&kit, s).is_empty());
        let late = kit.join("late");
        let sent = kit.send(
            late,
            r#"[32,1,{"get_retained":true,"match":"prefix"},"com."]"#,
        );
        assert_eq!(sent[0].1[0], 33);
        let ev = &sent[1].1;
        assert_eq!(ev[0], 36);
        assert_eq!(ev[1], sent[0].1[2]);
        assert_eq!(ev[2], publication);
        assert_eq!(ev[3], json!({"topic": "com.t", "retained": true}));
        assert_eq!(ev[4], json!([2]));
        assert_eq!(sent.len(), 2);
    }

    #[test]
    fn unsubscribe() {
        let mut kit = Kit::new();
        let s = kit.join("s");
        let other = kit.join("o");
        let p = kit.join("p");
        let id = kit.subscribe(s, "com.t", "{}");
        let e = kit.send(other, &format!("[34,2,{id}]"));
        assert_eq!(error_uri(&e[0].1), "wamp.error.no_such_subscription");
        let e = kit.send(s, "[34,2,12345]");
        assert_eq!(error_uri(&e[0].1), "wamp.error.no_such_subscription");
        assert_eq!(kit.send(s, &format!("[34,3,{id}]"))[0].1, json!([35, 3]));
        assert!(kit.send(p, r#"[16,1,{},"com.t"]"#).is_empty());
    }

    #[test]
    fn events_keep_publish_order() {
        let mut kit = Kit::new();
        let s = kit.join("s");
        let p = kit.join("p");
        kit.subscribe(s, "com.t", "{}");
        kit.out.clear();
        for i in 0..10_000 {
            kit.core
                .handle(p, &format!("[16,1,{{}},\"com.t\",[{i}]]"), &mut kit.out);
        }
        let got: Vec<u64> = kit
            .sent()
            .iter()
            .map(|(_, m)| m[4][0].as_u64().unwrap())
            .collect();
        assert_eq!(got, (0..10_000).collect::<Vec<u64>>());
    }
}
