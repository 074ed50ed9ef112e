//! Small helpers to read envelope fields without copies and to write the router's replies.

use std::borrow::Cow;

use crate::wamp::error::ProtocolViolation;
use crate::wamp::message::{quote, Parts, ERROR, MAX_ID, RESULT};

/// A request id chosen by the client: an integer in [1, 2^53].
pub fn request_id(parts: &Parts, i: usize, what: &str) -> Result<u64, ProtocolViolation> {
    let id = parts.id(i, what)?;
    if id == 0 {
        return Err(ProtocolViolation::new(format!(
            "{} has an invalid {what}: 0 (must be an integer in [1, 2^53])",
            parts.name()
        )));
    }
    Ok(id)
}

/// A string element, borrowed from the message when it has no escapes.
pub fn text<'a>(
    parts: &Parts<'a>,
    i: usize,
    what: &str,
) -> Result<Cow<'a, str>, ProtocolViolation> {
    let raw = parts.string_raw(i, what)?;
    if raw.len() >= 2 && !raw.contains('\\') {
        return Ok(Cow::Borrowed(&raw[1..raw.len() - 1]));
    }
    parts.string(i, what).map(Cow::Owned)
}

/// ERROR(request_kind, request, {}, error, [message]?).
pub fn error(kind: u64, request: u64, uri: &str, message: Option<&str>) -> String {
    match message {
        Some(m) => format!(
            "[{ERROR},{kind},{request},{{}},{},[{}]]",
            quote(uri),
            quote(m)
        ),
        None => format!("[{ERROR},{kind},{request},{{}},{}]", quote(uri)),
    }
}

/// RESULT(request, {}, [value]) with `value` already JSON text.
pub fn result(request: u64, value: &str) -> String {
    format!("[{RESULT},{request},{{}},[{value}]]")
}

/// A fresh router-scope id, uniform in [1, 2^53].
pub fn random_id() -> u64 {
    use rand::Rng;
    rand::rng().random_range(1..=MAX_ID)
}

/// ISO 8601 UTC time with milliseconds, as the meta API reports `created`.
pub fn iso8601(t: std::time::SystemTime) -> String {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn request_ids_exclude_zero() {
        let p = Parts::parse("[48, 0, {}, \"a\"]").unwrap();
        assert!(request_id(&p, 1, "request").is_err());
        let p = Parts::parse("[48, 9007199254740993, {}, \"a\"]").unwrap();
        assert!(request_id(&p, 1, "request").is_err());
        let p = Parts::parse("[48, 9007199254740992, {}, \"a\\u0041\"]").unwrap();
        assert_eq!(request_id(&p, 1, "request").unwrap(), MAX_ID);
        assert_eq!(text(&p, 3, "procedure").unwrap(), "aA");
    }

    #[test]
    fn iso_dates() {
        let t = UNIX_EPOCH + Duration::from_millis(1_709_210_096_789);
        assert_eq!(iso8601(t), "2024-02-29T12:34:56.789Z");
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn random_ids_are_in_range() {
        for _ in 0..1000 {
            let id = random_id();
            assert!((1..=MAX_ID).contains(&id));
        }
    }
}
