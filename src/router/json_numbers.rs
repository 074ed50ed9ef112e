//! For JSON receivers: the core's JSON form marks integers beyond ±(2^53-1) as strings of
//! U+0001 + digits (`"\u0001123..."`). A JSON peer (Autobahn|Python, Crossbar's clients)
//! expects a number, so the router writes the digits as a plain JSON number, exactly.
//! JavaScript's `JSON.parse` rounds such numbers to the nearest double: a JS peer on JSON sees
//! them rounded (use msgpack or CBOR for exact 64-bit integers in JavaScript).

const MARK: &[u8] = b"\"\\u0001";

/// Rewrites every `"\u0001-?digits"` string of a JSON text into the number it stands for.
/// Text without the mark is returned as it is (the common case costs one search).
pub fn plain_big_integers(text: String) -> String {
    if memchr::memmem::find(text.as_bytes(), MARK).is_none() {
        return text;
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(pos) = memchr::memmem::find(&bytes[from..], MARK).map(|p| p + from) {
        from = pos + MARK.len();
        // An escaped quote (odd run of backslashes before it) is inside a string, not an
        // opening quote.
        let backslashes = bytes[..pos]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if backslashes % 2 == 1 {
            continue;
        }
        let start = pos + MARK.len();
        let mut end = start;
        if bytes.get(end) == Some(&b'-') {
            end += 1;
        }
        let digits = end;
        while bytes.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        if end == digits || bytes.get(end) != Some(&b'"') {
            continue;
        }
        out.push_str(&text[copied..pos]);
        out.push_str(&text[start..end]);
        copied = end + 1;
        from = copied;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_integers_become_numbers() {
        let text =
            r#"[36,1,2,{},["\u000118446744073709551615",{"n":"\u0001-9223372036854775808"}]]"#;
        assert_eq!(
            plain_big_integers(text.into()),
            r#"[36,1,2,{},[18446744073709551615,{"n":-9223372036854775808}]]"#
        );
        let v: serde_json::Value = serde_json::from_str(&plain_big_integers(text.into())).unwrap();
        assert_eq!(v[4][0].as_u64(), Some(u64::MAX));
    }

    #[test]
    fn other_strings_stay() {
        for text in [
            r#"["plain","\u0000AAEC"]"#,
            r#"["\\\u00011"]"#,
            r#"["a\"\u00012"]"#,
            r#"["\u00011x"]"#,
            r#"["\u0001"]"#,
        ] {
            assert_eq!(plain_big_integers(text.into()), text);
        }
    }
}
