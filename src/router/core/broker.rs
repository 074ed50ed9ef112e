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
        let head_len = 48 + details.len();
        for &sid in receivers {
            if !receives(sessions, sid, d) {
                continue;
            }
            let ev = d.payload.event(
                format_args!("[36,{},{},{}", sub.id, d.publication, details),
                head_len,
            );
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
