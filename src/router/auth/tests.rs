//! Method selection, the shared rules and the helpers of mod.rs (each method file tests its
//! own exchange).

use std::time::{Duration, UNIX_EPOCH};

use serde_json::json;

use super::testing::*;
use super::*;
use crate::router::config::AnonymousAuth;

/// Ticket and WAMP-CRA for "multi", anonymous as "guest".
fn multi() -> AuthConfig {
    AuthConfig {
        anonymous: Some(AnonymousAuth {
            kind: "static".into(),
            role: "guest".into(),
        }),
        ticket: Some(method(
            "static",
            vec![(
                "multi",
                Principal {
                    ticket: Some("tk-multi-secret".into()),
                    ..principal_with_role("ticket-role")
                },
            )],
        )),
        wampcra: Some(method(
            "static",
            vec![(
                "multi",
                Principal {
                    secret: Some("cra-multi-secret".into()),
                    ..principal_with_role("cra-role")
                },
            )],
        )),
        ..AuthConfig::default()
    }
}

#[test]
fn the_clients_order_decides() {
    let cfg = multi();
    let (_, step) = Handshake::start(hello(Some("multi"), &["ticket", "wampcra"]), Some(&cfg));
    challenged(step, "ticket");
    let (_, step) = Handshake::start(hello(Some("multi"), &["wampcra", "ticket"]), Some(&cfg));
    challenged(step, "wampcra");
    // Methods the transport lacks, or this router does not know, are skipped.
    let (_, step) = Handshake::start(
        hello(None, &["cookie", "cryptosign", "anonymous"]),
        Some(&cfg),
    );
    assert_eq!(admitted(step).authrole, "guest");
    // No authmethods = anonymous.
    let (_, step) = Handshake::start(hello(None, &[]), Some(&cfg));
    assert_eq!(admitted(step).authmethod, "anonymous");
}

#[test]
fn a_refusal_does_not_fall_through_to_the_next_method() {
    // As Crossbar: the first offered method is the one tried, even if it fails.
    let cfg = multi();
    let (_, step) = Handshake::start(hello(Some("nobody"), &["ticket", "anonymous"]), Some(&cfg));
    refused(step, NOT_AUTHORIZED);
}

#[test]
fn no_offered_method() {
    let cfg = AuthConfig {
        ticket: multi().ticket,
        ..AuthConfig::default()
    };
    let (hs, step) = Handshake::start(hello(None, &[]), Some(&cfg));
    assert_eq!(
        refused(step, NO_AUTH_METHOD),
        "cannot authenticate using any of the offered authmethods ['anonymous']"
    );
    assert!(hs.is_finished());
    let (_, step) = Handshake::start(hello(Some("multi"), &["scram", "tls"]), Some(&cfg));
    refused(step, NO_AUTH_METHOD);
}

#[test]
fn unknown_method_type() {
    let cfg = AuthConfig {
        ticket: Some(method("function", Vec::new())),
        ..AuthConfig::default()
    };
    let (_, step) = Handshake::start(hello(Some("joe"), &["ticket"]), Some(&cfg));
    assert_eq!(
        refused(step, NOT_AUTHORIZED),
        "invalid authentication configuration (authentication type \"function\" is unknown)"
    );
}

#[test]
fn authenticate_without_a_challenge() {
    let (mut hs, step) = Handshake::start(hello(None, &[]), None);
    admitted(step);
    let message = refused(hs.authenticate("x", &json!({})), PROTOCOL_VIOLATION);
    assert!(message.contains("no CHALLENGE"));
}

#[test]
fn debug_shows_no_secret() {
    let cfg = multi();
    let (hs, _) = Handshake::start(hello(Some("multi"), &["ticket"]), Some(&cfg));
    let text = format!("{hs:?}");
    assert!(text.contains("waiting for AUTHENTICATE"), "{text}");
    assert!(!text.contains("tk-multi-secret"));
}

#[test]
fn the_asked_ticket_is_not_in_debug_output() {
    let cfg = AuthConfig {
        ticket: Some(method("dynamic", Vec::new())),
        ..AuthConfig::default()
    };
    let (mut hs, _) = Handshake::start(hello(Some("joe"), &["ticket"]), Some(&cfg));
    let step = hs.authenticate("tk-client-secret", &json!({}));
    let text = format!("{step:?}");
    assert!(
        text.contains("<hidden>") && !text.contains("tk-client-secret"),
        "{text}"
    );
    assert_eq!(asked(step, "joe", "ticket")["ticket"], "tk-client-secret");
}

#[test]
fn a_handshake_can_move_between_threads() {
    fn send<T: Send + Sync>() {}
    send::<Handshake>();
    send::<Step>();
}

#[test]
fn timestamps() {
    assert_eq!(utc_timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    // 2000-02-29T12:34:56.789Z (a leap day of a year divisible by 400).
    let t = UNIX_EPOCH + Duration::from_millis(951_827_696_789);
    assert_eq!(utc_timestamp(t), "2000-02-29T12:34:56.789Z");
    // 2024-12-31T23:59:59.999Z
    let t = UNIX_EPOCH + Duration::from_millis(1_735_689_599_999);
    assert_eq!(utc_timestamp(t), "2024-12-31T23:59:59.999Z");
    assert_eq!(civil_from_days(-1), (1969, 12, 31));
    assert_eq!(civil_from_days(59), (1970, 3, 1));
}

#[test]
fn random_values() {
    for _ in 0..100 {
        let id = random_id();
        assert!((1..=1u64 << 53).contains(&id));
        assert!(is_serial_number(&random_authid()));
    }
    assert_ne!(random_authid(), random_authid());
}
