//! Failover over the configured transport entries, each bounded by the connect timeout.

use std::time::Duration;

use super::super::events::TransportInfo;
use crate::wamp::codec::Codec;
use crate::wamp::error::TransportError;
use crate::wamp::transport::config::{TransportConfig, DEFAULT_CONNECT_TIMEOUT};
use crate::wamp::transport::Transport;

/// Failover: tries the transport entries in order, each bounded by `timeout_secs`, and returns
/// the first that connects with a serializer we know. When all fail, the error lists every
/// entry's failure (the caller counts that as one failed attempt).
pub(super) async fn connect_any(
    transports: &[TransportConfig],
    timeout_secs: f64,
) -> Result<(Transport, Codec, TransportInfo), TransportError> {
    let mut errors = Vec::new();
    for cfg in transports {
        match connect_one(cfg, timeout_secs).await {
            Ok(ok) => return Ok(ok),
            Err(e) => errors.push(e),
        }
    }
    Err(match errors.len() {
        1 => errors.remove(0),
        _ => TransportError::AllFailed(errors),
    })
}

async fn connect_one(
    cfg: &TransportConfig,
    timeout_secs: f64,
) -> Result<(Transport, Codec, TransportInfo), TransportError> {
    let limit = Duration::try_from_secs_f64(timeout_secs)
        .ok()
        .filter(|d| !d.is_zero())
        .unwrap_or(Duration::from_secs_f64(DEFAULT_CONNECT_TIMEOUT));
    let (link, protocol) = match tokio::time::timeout(limit, Transport::connect(cfg)).await {
        Ok(res) => res?,
        Err(_) => {
            return Err(TransportError::Timeout {
                url: cfg.url.clone(),
                seconds: limit.as_secs_f64(),
            })
        }
    };
    let Some(codec) = Codec::from_name(&protocol) else {
        return Err(TransportError::NoSubprotocol {
            url: cfg.url.clone(),
            offered: protocol,
        });
    };
    let info = TransportInfo {
        kind: cfg.kind.clone(),
        url: cfg.url.clone(),
        protocol: Some(protocol),
    };
    Ok((link, codec, info))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rawsocket_entry(port: u16) -> TransportConfig {
        serde_json::from_str(&format!(
            r#"{{"type":"rawsocket","url":"rs://127.0.0.1:{port}","protocols":["wamp.2.json"],"host":"127.0.0.1","port":{port}}}"#
        ))
        .unwrap()
    }

    #[tokio::test]
    async fn failover_tries_every_entry_and_reports_each_failure() {
        // A silent listener (accepts, never answers) and a closed port.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let silent_port = silent.local_addr().unwrap().port();
        let closed_port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let entries = [rawsocket_entry(silent_port), rawsocket_entry(closed_port)];
        let err = match connect_any(&entries, 0.2).await {
            Err(e) => e,
            Ok(_) => panic!("connected to nothing"),
        };
        assert!(!err.is_fatal());
        let text = err.to_string();
        assert!(text.starts_with("all 2 transports failed: (1) "), "{text}");
        assert!(
            text.contains("no answer within 0.2 s (connect_timeout)"),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "(2) could not connect to rs://127.0.0.1:{closed_port}"
            )),
            "{text}"
        );

        // A live RawSocket peer as the second entry: the attempt succeeds there.
        let live = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let live_port = live.local_addr().unwrap().port();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let (mut sock, _) = live.accept().await.unwrap();
            let mut hello = [0u8; 4];
            sock.read_exact(&mut hello).await.unwrap();
            assert_eq!(hello, [0x7F, 0xF1, 0, 0]);
            sock.write_all(&[0x7F, 0xF1, 0, 0]).await.unwrap();
            let mut rest = Vec::new();
            let _ = sock.read_to_end(&mut rest).await;
        });
        let entries = [rawsocket_entry(closed_port), rawsocket_entry(live_port)];
        let (_link, codec, info) = connect_any(&entries, 2.0).await.unwrap();
        assert_eq!(codec, Codec::Json);
        assert_eq!(info.url, format!("rs://127.0.0.1:{live_port}"));
        assert_eq!(info.protocol.as_deref(), Some("wamp.2.json"));
        drop(silent);
    }

    #[test]
    fn only_all_fatal_failures_are_fatal() {
        let fatal = || TransportError::InvalidUrl {
            url: "x".into(),
            reason: "y".into(),
        };
        let soft = || TransportError::Connect {
            url: "x".into(),
            reason: "y".into(),
        };
        assert!(TransportError::AllFailed(vec![fatal(), fatal()]).is_fatal());
        assert!(!TransportError::AllFailed(vec![fatal(), soft()]).is_fatal());
    }
}
