//! Static authorization as in Crossbar.io's `RouterRoleStaticAuth`: each role has a list of
//! permissions (a URI with a match policy, what it allows and what it discloses). For an action
//! on a URI the most specific matching permission decides: an exact one, else the longest
//! matching prefix, else the wildcard pattern with the most non-empty components (ties: the
//! first in the list). No matching permission: denied.

use std::collections::HashMap;

use crate::router::config::{Allow, Disclose, MatchPolicy, RoleConfig};

use super::uri;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Call,
    Register,
    Publish,
    Subscribe,
}

/// What the deciding permission allows and discloses.
#[derive(Debug, Clone, Copy, Default)]
pub struct Grant {
    pub allow: Allow,
    pub disclose: Disclose,
}

impl Grant {
    fn allows(&self, action: Action) -> bool {
        match action {
            Action::Call => self.allow.call,
            Action::Register => self.allow.register,
            Action::Publish => self.allow.publish,
            Action::Subscribe => self.allow.subscribe,
        }
    }
}

/// Why an action was refused: the ERROR URI to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// `wamp.error.not_authorized`
    NotAuthorized,
    /// `wamp.error.invalid_uri` (registering or publishing under the router's `wamp.`)
    Reserved,
}

impl Denial {
    pub fn error_uri(self) -> &'static str {
        match self {
            Denial::NotAuthorized => "wamp.error.not_authorized",
            Denial::Reserved => "wamp.error.invalid_uri",
        }
    }
}

/// The permissions of one role, indexed by match policy.
#[derive(Debug, Default)]
pub struct RolePermissions {
    pub name: String,
    exact: HashMap<String, Grant>,
    /// Longest first.
    prefix: Vec<(String, Grant)>,
    /// Most non-empty components first; equal weights keep their configured order.
    wildcard: Vec<(String, Grant)>,
}

impl RolePermissions {
    pub fn new(role: &RoleConfig) -> RolePermissions {
        let mut perms = RolePermissions {
            name: role.name.clone(),
            ..Default::default()
        };
        for p in &role.permissions {
            let grant = Grant {
                allow: p.allow,
                disclose: p.disclose,
            };
            match p.match_policy {
                MatchPolicy::Exact => {
                    perms.exact.entry(p.uri.clone()).or_insert(grant);
                }
                MatchPolicy::Prefix => perms.prefix.push((p.uri.clone(), grant)),
                MatchPolicy::Wildcard => perms.wildcard.push((p.uri.clone(), grant)),
            }
        }
        // Stable sorts: among equals the configured order decides.
        perms
            .prefix
            .sort_by_key(|(u, _)| std::cmp::Reverse(u.len()));
        perms
            .wildcard
            .sort_by_key(|(u, _)| std::cmp::Reverse(uri::wildcard_weight(u)));
        perms
    }

    /// The permission that decides for `uri`, if any matches.
    pub fn lookup(&self, uri: &str) -> Option<Grant> {
        if let Some(g) = self.exact.get(uri) {
            return Some(*g);
        }
        if let Some((_, g)) = self
            .prefix
            .iter()
            .find(|(p, _)| uri.starts_with(p.as_str()))
        {
            return Some(*g);
        }
        self.wildcard
            .iter()
            .find(|(p, _)| uri::wildcard_matches(p, uri))
            .map(|(_, g)| *g)
    }

    /// Decides `action` on `uri` (already validated); the grant carries the disclosure rules.
    pub fn authorize(&self, uri: &str, action: Action) -> Result<Grant, Denial> {
        if matches!(action, Action::Register | Action::Publish) && uri.starts_with("wamp.") {
            return Err(Denial::Reserved);
        }
        match self.lookup(uri) {
            Some(g) if g.allows(action) => Ok(g),
            _ => Err(Denial::NotAuthorized),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::config::Permission;

    fn perm(uri: &str, m: MatchPolicy, allow: [bool; 4], caller: bool) -> Permission {
        Permission {
            uri: uri.into(),
            match_policy: m,
            allow: Allow {
                call: allow[0],
                register: allow[1],
                publish: allow[2],
                subscribe: allow[3],
            },
            disclose: Disclose {
                caller,
                publisher: false,
            },
        }
    }

    fn role(perms: Vec<Permission>) -> RolePermissions {
        RolePermissions::new(&RoleConfig {
            name: "r".into(),
            permissions: perms,
        })
    }

    const ALL: [bool; 4] = [true, true, true, true];
    const NONE: [bool; 4] = [false, false, false, false];

    #[test]
    fn no_matching_permission_denies() {
        let r = role(vec![perm("com.a", MatchPolicy::Exact, ALL, false)]);
        assert_eq!(
            r.authorize("com.b", Action::Call).err(),
            Some(Denial::NotAuthorized)
        );
        assert!(r.authorize("com.a", Action::Call).is_ok());
        let empty = role(vec![]);
        assert!(empty.authorize("com.a", Action::Subscribe).is_err());
    }

    #[test]
    fn each_action_is_checked_separately() {
        let r = role(vec![perm(
            "",
            MatchPolicy::Prefix,
            [true, false, true, false],
            false,
        )]);
        assert!(r.authorize("x.y", Action::Call).is_ok());
        assert!(r.authorize("x.y", Action::Register).is_err());
        assert!(r.authorize("x.y", Action::Publish).is_ok());
        assert!(r.authorize("x.y", Action::Subscribe).is_err());
    }

    #[test]
    fn exact_beats_prefix_beats_wildcard() {
        let r = role(vec![
            perm("com..x", MatchPolicy::Wildcard, ALL, false),
            perm("com.", MatchPolicy::Prefix, NONE, false),
            perm("com.a.x", MatchPolicy::Exact, ALL, true),
        ]);
        let g = r.authorize("com.a.x", Action::Call).unwrap();
        assert!(g.disclose.caller);
        // The prefix (denying) is more specific than the wildcard (allowing).
        assert!(r.authorize("com.b.x", Action::Call).is_err());
        assert!(r.authorize("org.b.x", Action::Call).is_err());
    }

    #[test]
    fn longest_prefix_decides() {
        let r = role(vec![
            perm("com.", MatchPolicy::Prefix, ALL, false),
            perm("com.secret.", MatchPolicy::Prefix, NONE, false),
        ]);
        assert!(r.authorize("com.open.x", Action::Call).is_ok());
        assert!(r.authorize("com.secret.x", Action::Call).is_err());
    }

    #[test]
    fn wildcard_with_most_components_decides() {
        let r = role(vec![
            perm("..", MatchPolicy::Wildcard, ALL, false),
            perm("a..c", MatchPolicy::Wildcard, NONE, false),
        ]);
        assert!(r.authorize("a.b.c", Action::Call).is_err());
        assert!(r.authorize("a.b.d", Action::Call).is_ok());
    }

    #[test]
    fn clients_never_register_or_publish_under_wamp() {
        let r = role(vec![perm("", MatchPolicy::Prefix, ALL, false)]);
        assert_eq!(
            r.authorize("wamp.session.count", Action::Register).err(),
            Some(Denial::Reserved)
        );
        assert_eq!(
            r.authorize("wamp.session.on_join", Action::Publish).err(),
            Some(Denial::Reserved)
        );
        assert!(r.authorize("wamp.session.count", Action::Call).is_ok());
        assert!(r
            .authorize("wamp.session.on_join", Action::Subscribe)
            .is_ok());
        let limited = role(vec![perm("com.", MatchPolicy::Prefix, ALL, false)]);
        assert!(limited
            .authorize("wamp.session.count", Action::Call)
            .is_err());
    }
}
