//! The keys of `Options` dicts the router acts on. Each key is read on its own: a key of an
//! unexpected type counts as absent instead of spoiling the others, unknown keys are ignored,
//! and an empty dict costs no parse.

use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;
use serde_json::value::RawValue;

/// Reads the options a message carries (raw dict text).
pub fn read<T: DeserializeOwned + Default>(raw: &str) -> T {
    if raw == "{}" {
        return T::default();
    }
    serde_json::from_str(raw).unwrap_or_default()
}

fn lenient<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let raw: &RawValue = Deserialize::deserialize(d)?;
    Ok(serde_json::from_str(raw.get()).unwrap_or_default())
}

#[derive(Debug, Default, Deserialize)]
pub struct CallOptions {
    #[serde(default, deserialize_with = "lenient")]
    pub receive_progress: bool,
    /// Progressive call invocations: more input follows under the same request id.
    #[serde(default, deserialize_with = "lenient")]
    pub progress: bool,
    /// Milliseconds; 0 = none.
    #[serde(default, deserialize_with = "lenient")]
    pub timeout: u64,
    #[serde(default, deserialize_with = "lenient")]
    pub disclose_me: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct RegisterOptions {
    #[serde(default, rename = "match", deserialize_with = "lenient")]
    pub match_policy: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub invoke: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub force_reregister: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct SubscribeOptions {
    #[serde(default, rename = "match", deserialize_with = "lenient")]
    pub match_policy: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub get_retained: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct PublishOptions {
    #[serde(default, deserialize_with = "lenient")]
    pub acknowledge: bool,
    #[serde(default, deserialize_with = "lenient")]
    pub exclude_me: Option<bool>,
    #[serde(default, deserialize_with = "lenient")]
    pub exclude: Vec<u64>,
    #[serde(default, deserialize_with = "lenient")]
    pub eligible: Option<Vec<u64>>,
    #[serde(default, deserialize_with = "lenient")]
    pub exclude_authid: Vec<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub exclude_authrole: Vec<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub eligible_authid: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient")]
    pub eligible_authrole: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient")]
    pub disclose_me: bool,
    #[serde(default, deserialize_with = "lenient")]
    pub retain: bool,
}

impl PublishOptions {
    /// Whether any receiver filter beyond `exclude_me` is given.
    pub fn has_filters(&self) -> bool {
        !self.exclude.is_empty()
            || self.eligible.is_some()
            || !self.exclude_authid.is_empty()
            || !self.exclude_authrole.is_empty()
            || self.eligible_authid.is_some()
            || self.eligible_authrole.is_some()
    }
}

/// YIELD options and progressive CALL details.
#[derive(Debug, Default, Deserialize)]
pub struct ProgressOption {
    #[serde(default, deserialize_with = "lenient")]
    pub progress: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct CancelOptions {
    #[serde(default, deserialize_with = "lenient")]
    pub mode: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_types_count_as_absent_without_hiding_other_keys() {
        let o: CallOptions = read(r#"{"receive_progress": "yes", "timeout": 250, "x": [1]}"#);
        assert!(!o.receive_progress);
        assert_eq!(o.timeout, 250);
        let o: CallOptions = read(r#"{"timeout": -5, "disclose_me": true}"#);
        assert_eq!(o.timeout, 0);
        assert!(o.disclose_me);
        let o: PublishOptions = read(r#"{"exclude": [1, "x"], "eligible": [7], "exclude_me": 0}"#);
        assert!(o.exclude.is_empty());
        assert_eq!(o.eligible, Some(vec![7]));
        assert_eq!(o.exclude_me, None);
        let o: RegisterOptions = read(r#"{"match": "prefix", "invoke": 3}"#);
        assert_eq!(o.match_policy.as_deref(), Some("prefix"));
        assert_eq!(o.invoke, None);
    }

    #[test]
    fn empty_and_broken_dicts_give_defaults() {
        let o: PublishOptions = read("{}");
        assert!(!o.acknowledge && o.exclude_me.is_none() && !o.has_filters());
        let o: SubscribeOptions = read("{");
        assert!(o.match_policy.is_none());
    }
}
