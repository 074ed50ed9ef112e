//! URI rules as Crossbar.io applies them by default ("loose" URIs): components are separated by
//! `.` and hold no whitespace, `.` or `#`. Exact URIs have no empty component; a prefix may end
//! in `.` (or be empty, matching everything); a wildcard pattern may have empty components,
//! each matching any one component.

use crate::router::config::MatchPolicy;

fn component_ok(c: &str) -> bool {
    !c.chars().any(|ch| ch.is_whitespace() || ch == '#')
}

/// Whether `uri` is valid for registering, subscribing or matching with `policy`.
pub fn is_valid(uri: &str, policy: MatchPolicy) -> bool {
    match policy {
        MatchPolicy::Exact => is_valid_exact(uri),
        MatchPolicy::Prefix => {
            if uri.is_empty() {
                return true;
            }
            let last = uri.split('.').count() - 1;
            uri.split('.')
                .enumerate()
                .all(|(i, c)| component_ok(c) && (!c.is_empty() || i == last))
        }
        MatchPolicy::Wildcard => uri.split('.').all(component_ok),
    }
}

/// A URI a message names directly (CALL, PUBLISH, a realm): no empty component.
pub fn is_valid_exact(uri: &str) -> bool {
    !uri.is_empty() && uri.split('.').all(|c| !c.is_empty() && component_ok(c))
}

/// Whether a wildcard `pattern` (empty components match anything) matches `uri`.
pub fn wildcard_matches(pattern: &str, uri: &str) -> bool {
    let mut p = pattern.split('.');
    let mut u = uri.split('.');
    loop {
        match (p.next(), u.next()) {
            (None, None) => return true,
            (Some(pc), Some(uc)) => {
                if !pc.is_empty() && pc != uc {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// How specific a wildcard pattern is: its number of non-empty components.
pub fn wildcard_weight(pattern: &str) -> usize {
    pattern.split('.').filter(|c| !c.is_empty()).count()
}

/// Whether a pattern registered or subscribed with `policy` matches `uri`. Prefixes match
/// as plain string prefixes, as in Crossbar.io (`com.a` matches `com.ab.c`).
pub fn matches(pattern: &str, policy: MatchPolicy, uri: &str) -> bool {
    match policy {
        MatchPolicy::Exact => pattern == uri,
        MatchPolicy::Prefix => uri.starts_with(pattern),
        MatchPolicy::Wildcard => wildcard_matches(pattern, uri),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MatchPolicy::*;

    #[test]
    fn exact_uris_have_no_empty_component() {
        assert!(is_valid("com.example.add", Exact));
        assert!(is_valid("a", Exact));
        assert!(!is_valid("", Exact));
        assert!(!is_valid("com..add", Exact));
        assert!(!is_valid("com.example.", Exact));
        assert!(!is_valid(".com", Exact));
        assert!(!is_valid("com.ex ample", Exact));
        assert!(!is_valid("com.#", Exact));
    }

    #[test]
    fn prefixes_may_end_with_a_dot_or_be_empty() {
        assert!(is_valid("", Prefix));
        assert!(is_valid("com.example.", Prefix));
        assert!(is_valid("com.example", Prefix));
        assert!(!is_valid("com..example", Prefix));
        assert!(!is_valid("com. x", Prefix));
    }

    #[test]
    fn wildcards_may_have_empty_components() {
        assert!(is_valid("com..add", Wildcard));
        assert!(is_valid(".a.", Wildcard));
        assert!(!is_valid("com..a dd", Wildcard));
    }

    #[test]
    fn matching_by_policy() {
        assert!(matches("a.b", Exact, "a.b"));
        assert!(!matches("a.b", Exact, "a.b.c"));
        assert!(matches("a.b", Prefix, "a.b.c"));
        assert!(matches("a.b", Prefix, "a.bc"));
        assert!(matches("", Prefix, "x"));
        assert!(!matches("a.b", Prefix, "a.c"));
        assert!(matches("a..c", Wildcard, "a.b.c"));
        assert!(!matches("a..c", Wildcard, "a.b.d"));
        assert!(!matches("a..c", Wildcard, "a.b.c.d"));
        assert!(!matches("a..c", Wildcard, "a.c"));
        assert_eq!(wildcard_weight("a..c"), 2);
        assert_eq!(wildcard_weight(".."), 0);
    }
}
