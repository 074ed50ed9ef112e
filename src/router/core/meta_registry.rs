//! The registration and subscription meta procedures.

use serde_json::{json, Value};

use crate::router::config::MatchPolicy;

use super::broker::match_policy;
use super::meta::{invalid, no_such_session, MetaArgs, MetaError, MetaResult};
use super::realm::Realm;
use super::{uri, Output, SessionId};

fn no_such_registration(id: u64) -> MetaError {
    (
        "wamp.error.no_such_registration",
        format!("no registration with id {id}"),
    )
}

fn no_such_subscription(id: u64) -> MetaError {
    (
        "wamp.error.no_such_subscription",
        format!("no subscription with id {id}"),
    )
}

/// `[uri, {match}]` of a lookup.
fn lookup_args(m: &MetaArgs) -> Result<(&str, MatchPolicy), MetaError> {
    let uri = m.string(0, "uri")?;
    let policy = match m.args.get(1) {
        None | Some(Value::Null) => Some(MatchPolicy::Exact),
        Some(Value::Object(o)) => match_policy(o.get("match").and_then(Value::as_str)),
        Some(_) => None,
    };
    policy
        .map(|p| (uri, p))
        .ok_or_else(|| invalid("argument 1 must be {match: exact|prefix|wildcard}"))
}

impl Realm {
    /// Registration and subscription meta procedures; None when `procedure` is none of them.
    pub fn registry_call(
        &mut self,
        sid: SessionId,
        procedure: &str,
        m: &MetaArgs,
        out: &mut Output,
    ) -> Option<MetaResult> {
        let _ = sid;
        Some(match procedure {
            "wamp.registration.list" => Ok(json!({
                "exact": self.dealer.ids(MatchPolicy::Exact),
                "prefix": self.dealer.ids(MatchPolicy::Prefix),
                "wildcard": self.dealer.ids(MatchPolicy::Wildcard),
            })),
            "wamp.registration.lookup" => {
                lookup_args(m).map(|(u, p)| json!(self.dealer.find(u, p)))
            }
            "wamp.registration.match" => m
                .string(0, "procedure")
                .map(|u| json!(self.dealer.route(u))),
            "wamp.registration.get" => self.registration(m).map(|r| r.details()),
            "wamp.registration.list_callees" => self.registration(m).map(|r| json!(r.callees)),
            "wamp.registration.count_callees" => {
                self.registration(m).map(|r| json!(r.callees.len()))
            }
            "wamp.registration.remove_callee" => self.meta_remove_callee(m, out),
            "wamp.subscription.list" => Ok(json!({
                "exact": self.broker.ids(MatchPolicy::Exact),
                "prefix": self.broker.ids(MatchPolicy::Prefix),
                "wildcard": self.broker.ids(MatchPolicy::Wildcard),
            })),
            "wamp.subscription.lookup" => {
                lookup_args(m).map(|(u, p)| json!(self.broker.find(u, p)))
            }
            "wamp.subscription.match" => m.string(0, "topic").map(|t| {
                let mut ids: Vec<u64> = self.broker.matching(t).map(|s| s.id).collect();
                ids.sort_unstable();
                json!(ids)
            }),
            "wamp.subscription.get" => self.subscription(m).map(|s| s.details()),
            "wamp.subscription.list_subscribers" => {
                self.subscription(m).map(|s| json!(s.subscribers))
            }
            "wamp.subscription.count_subscribers" => {
                self.subscription(m).map(|s| json!(s.subscribers.len()))
            }
            "wamp.subscription.remove_subscriber" => self.meta_remove_subscriber(m, out),
            _ => return None,
        })
    }

    fn registration(&self, m: &MetaArgs) -> Result<&super::dealer::Registration, MetaError> {
        let id = m.id(0, "registration")?;
        self.dealer
            .registrations
            .get(&id)
            .ok_or_else(|| no_such_registration(id))
    }

    fn subscription(&self, m: &MetaArgs) -> Result<&super::broker::Subscription, MetaError> {
        let id = m.id(0, "subscription")?;
        self.broker
            .subscriptions
            .get(&id)
            .ok_or_else(|| no_such_subscription(id))
    }

    /// The reason: the third positional argument (Crossbar.io's signature) or `reason=`.
    fn revocation_reason(m: &MetaArgs) -> Result<Option<String>, MetaError> {
        let positional = m.args.get(2).and_then(serde_json::Value::as_str);
        match positional.or_else(|| m.kwarg_str("reason")) {
            None => Ok(None),
            Some(r) if uri::is_valid_exact(r) => Ok(Some(r.to_string())),
            Some(r) => Err((
                "wamp.error.invalid_uri",
                format!("invalid reason URI '{r}'"),
            )),
        }
    }

    fn meta_remove_callee(&mut self, m: &MetaArgs, out: &mut Output) -> MetaResult {
        let reg_id = self.registration(m)?.id;
        let callee = m.id(1, "session")?;
        let reason = Self::revocation_reason(m)?;
        let reason = reason.as_deref().unwrap_or("wamp.error.removed");
        if self.revoke_callee(reg_id, callee, reason, out) {
            Ok(Value::Null)
        } else {
            Err(no_such_session(callee))
        }
    }

    fn meta_remove_subscriber(&mut self, m: &MetaArgs, out: &mut Output) -> MetaResult {
        let sub_id = self.subscription(m)?.id;
        let subscriber = m.id(1, "session")?;
        let reason = Self::revocation_reason(m)?;
        let reason = reason.as_deref().unwrap_or("wamp.error.removed");
        let subscribed = self
            .broker
            .subscriptions
            .get(&sub_id)
            .is_some_and(|s| s.subscribers.contains(&subscriber));
        if !subscribed {
            return Err(no_such_session(subscriber));
        }
        let details = json!({"subscription": sub_id, "reason": reason});
        out.messages.push((subscriber, format!("[35,0,{details}]")));
        self.remove_subscriber(sub_id, subscriber, out);
        Ok(Value::Null)
    }
}
