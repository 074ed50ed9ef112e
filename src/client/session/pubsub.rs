//! Publish and subscribe: PUBLISHED, SUBSCRIBED, UNSUBSCRIBED and EVENT.

use super::requests::Removal;
use super::{Output, SessionCore};
use crate::wamp::error::ProtocolViolation;
use crate::wamp::message::{self as m, Parts};

impl SessionCore {
    pub(super) fn on_published(
        &mut self,
        p: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        if let Some((handle, id)) = self.acknowledged(p, m::PUBLISH, "publication id")? {
            out.to_js.push(format!("[{},{handle},{id}]", m::PUBLISHED));
        }
        Ok(())
    }

    pub(super) fn on_subscribed(
        &mut self,
        p: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        if let Some((handle, id)) = self.acknowledged(p, m::SUBSCRIBE, "subscription id")? {
            self.subscriptions.insert(id);
            out.to_js.push(format!("[{},{handle},{id}]", m::SUBSCRIBED));
        }
        Ok(())
    }

    pub(super) fn on_unsubscribed(
        &mut self,
        p: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        let removal = Removal {
            request_kind: m::UNSUBSCRIBE,
            key: "subscription",
            revoked: |flags| flags.subscription,
            live: |s| &mut s.subscriptions,
        };
        self.removed(p, removal, out)
    }

    pub(super) fn on_event(
        &mut self,
        p: &Parts,
        out: &mut Output,
    ) -> Result<(), ProtocolViolation> {
        p.expect_len(4, 6)?;
        let subscription = p.nonzero_id(1, "subscription id")?;
        let publication = p.nonzero_id(2, "publication id")?;
        let details = p.dict(3, "Details")?;
        let payload = p.payload(4)?;
        if !self.subscriptions.contains(&subscription) {
            return Err(ProtocolViolation::new(format!(
                "EVENT for unknown subscription {subscription}"
            )));
        }
        out.to_js
            .push(payload.event(&[m::EVENT, subscription, publication], details));
        Ok(())
    }
}
