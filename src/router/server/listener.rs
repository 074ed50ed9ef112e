//! Listening sockets (TCP or Unix, with or without TLS) and their accept loops.

use std::sync::Arc;

use tokio::net::TcpListener;
#[cfg(unix)]
use tokio::net::UnixListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

use super::connection::{self, Endpoints};
use super::{Listening, Shared, StartError};
use crate::router::config::{AuthConfig, ListenerConfig};
use crate::wamp::transport::accept::{self, Endpoint, ListenerKind};
use crate::wamp::transport::stream::Stream;

enum Socket {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(UnixListener, String),
}

pub(super) struct Listener {
    socket: Socket,
    endpoints: Arc<Endpoints>,
    tls: Option<TlsAcceptor>,
    listening: Listening,
}

fn listener_kind(name: &str) -> Option<ListenerKind> {
    match name {
        "websocket" => Some(ListenerKind::WebSocket),
        "rawsocket" => Some(ListenerKind::RawSocket),
        "universal" => Some(ListenerKind::Universal),
        _ => None,
    }
}

impl Listener {
    pub(super) async fn bind(spec: &ListenerConfig) -> Result<Listener, StartError> {
        let address = match (&spec.unix, &spec.host) {
            (Some(path), _) => format!("unix:{path}"),
            (None, host) => format!(
                "{}:{}",
                host.as_deref().unwrap_or("127.0.0.1"),
                spec.port.unwrap_or(0)
            ),
        };
        let invalid = |reason: String| StartError::Listen {
            address: address.clone(),
            reason,
        };
        let kind = listener_kind(&spec.kind)
            .ok_or_else(|| invalid(format!("unknown transport type '{}'", spec.kind)))?;
        let tls = match &spec.tls {
            Some(t) => Some(
                accept::tls_acceptor(&t.certificate, &t.key, t.ca.as_deref()).map_err(
                    |reason| StartError::Tls {
                        address: address.clone(),
                        reason,
                    },
                )?,
            ),
            None => None,
        };
        let mut endpoints = vec![Endpoint {
            path: spec.path.clone(),
            serializers: spec.serializers.clone(),
            max_message_size: spec.max_message_size,
        }];
        let mut auth: Vec<Option<AuthConfig>> = vec![spec.auth.clone()];
        for p in &spec.paths {
            endpoints.push(Endpoint {
                path: p.path.clone(),
                serializers: p.serializers.clone(),
                max_message_size: p.max_message_size,
            });
            auth.push(p.auth.clone());
        }
        let socket = match &spec.unix {
            Some(path) => bind_unix(path).map_err(invalid)?,
            None => {
                let host = spec.host.as_deref().unwrap_or("127.0.0.1");
                let tcp = TcpListener::bind((host, spec.port.unwrap_or(0)))
                    .await
                    .map_err(|e| invalid(e.to_string()))?;
                Socket::Tcp(tcp)
            }
        };
        let secure = tls.is_some();
        let url = match &socket {
            Socket::Tcp(tcp) => {
                let local = tcp.local_addr().map_err(|e| invalid(e.to_string()))?;
                let host = match local.ip() {
                    std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                    std::net::IpAddr::V4(ip) => ip.to_string(),
                };
                match kind {
                    ListenerKind::RawSocket => {
                        format!(
                            "{}://{host}:{}",
                            if secure { "rss" } else { "rs" },
                            local.port()
                        )
                    }
                    _ => format!(
                        "{}://{host}:{}{}",
                        if secure { "wss" } else { "ws" },
                        local.port(),
                        spec.path
                    ),
                }
            }
            #[cfg(unix)]
            Socket::Unix(_, path) => format!("unix://{path}"),
        };
        Ok(Listener {
            socket,
            endpoints: Arc::new(Endpoints {
                kind,
                endpoints,
                auth,
            }),
            tls,
            listening: Listening {
                kind: spec.kind.clone(),
                url,
            },
        })
    }

    pub(super) fn listening(&self) -> Listening {
        self.listening.clone()
    }

    pub(super) fn unix_path(&self) -> Option<String> {
        match &self.socket {
            Socket::Tcp(_) => None,
            #[cfg(unix)]
            Socket::Unix(_, path) => Some(path.clone()),
        }
    }

    pub(super) fn remove_socket_file(&self) {
        if let Some(path) = self.unix_path() {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Accepts until the router stops; each connection gets its own task.
    pub(super) async fn run(self, shared: Arc<Shared>, alive: mpsc::Sender<()>) {
        loop {
            let accepted = tokio::select! {
                _ = shared.stopping.cancelled() => return,
                a = self.accept() => a,
            };
            let (stream, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: say so, wait a little, go on.
                    shared.log(
                        super::LogLevel::Warn,
                        format!("{}: accept failed: {e}", self.listening.url),
                    );
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            };
            tokio::spawn(connection::serve(
                shared.clone(),
                self.endpoints.clone(),
                self.tls.clone(),
                stream,
                peer,
                alive.clone(),
            ));
        }
    }

    async fn accept(&self) -> std::io::Result<(Stream, String)> {
        match &self.socket {
            Socket::Tcp(tcp) => {
                let (s, addr) = tcp.accept().await?;
                let _ = s.set_nodelay(true);
                let family = if addr.is_ipv4() { "tcp4" } else { "tcp6" };
                Ok((Stream::Tcp(s), format!("{family}:{addr}")))
            }
            #[cfg(unix)]
            Socket::Unix(l, path) => {
                let (s, _) = l.accept().await?;
                Ok((Stream::Unix(s), format!("unix:{path}")))
            }
        }
    }
}

/// Binds a Unix socket; a socket file left by a router that is gone is replaced, a live one
/// is not.
#[cfg(unix)]
fn bind_unix(path: &str) -> Result<Socket, String> {
    match UnixListener::bind(path) {
        Ok(l) => Ok(Socket::Unix(l, path.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(format!("{e} (another process listens there)"));
            }
            std::fs::remove_file(path).map_err(|e| e.to_string())?;
            UnixListener::bind(path)
                .map(|l| Socket::Unix(l, path.to_string()))
                .map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(not(unix))]
fn bind_unix(_path: &str) -> Result<Socket, String> {
    Err("Unix domain sockets are not available on this platform".into())
}
