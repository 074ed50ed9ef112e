//! The router's I/O side: listeners, one task per connection, and the hub that runs the sans-IO
//! core (`router::core`) for all of them.
//!
//! A connection task owns its transport: it negotiates the serializer, runs the HELLO and
//! authentication exchange (`router::auth`), joins through the hub, then moves frames between
//! the socket and the core. The core's output goes to each session's bounded queue without
//! waiting; a session whose queue is full (a peer that does not read) is dropped, so the
//! router's memory stays bounded whatever its peers do.

mod connection;
mod hub;
mod listener;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::config::{Principal, RouterConfig};
use super::core::RouterCore;
use hub::Hub;
use listener::Listener;

/// How long `stop` waits for the sessions to take their GOODBYE and close, before it drops
/// what is left.
const STOP_GRACE: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Warn,
    Error,
}

impl LogLevel {
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

/// A question for the dynamic authenticator; answered through `RouterServer::auth_decision`.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub id: u32,
    pub realm: String,
    pub authid: String,
    pub authmethod: String,
    pub details: serde_json::Value,
}

/// What the router tells its owner (the binding forwards both to JavaScript).
pub trait RouterEvents: Send + Sync + 'static {
    fn log(&self, level: LogLevel, message: String);
    /// Every request must be answered (or the router stopped); until then the session waits,
    /// within the join timeout.
    fn authenticate(&self, request: AuthRequest);
}

/// A listening transport, as reported after start.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listening {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] super::config::ConfigError),
    #[error("cannot listen on {address}: {reason}")]
    Listen { address: String, reason: String },
    #[error("TLS settings of {address}: {reason}")]
    Tls { address: String, reason: String },
}

impl StartError {
    /// The stable code JavaScript sees on the error.
    pub fn code(&self) -> &'static str {
        match self {
            StartError::Config(_) => "ROUTER_CONFIG",
            StartError::Listen { .. } => "ROUTER_LISTEN",
            StartError::Tls { .. } => "ROUTER_TLS",
        }
    }
}

/// State shared by the listeners and connection tasks.
struct Shared {
    hub: Mutex<Hub>,
    events: Arc<dyn RouterEvents>,
    max_queued: usize,
    join_timeout: Duration,
    pending_auth: Mutex<HashMap<u32, oneshot::Sender<Result<Principal, String>>>>,
    next_auth: AtomicU32,
    /// Set by `stop`: listeners stop accepting, joins in progress end.
    stopping: CancellationToken,
    /// Set when the grace period of `stop` is over: every connection ends at once.
    abort: CancellationToken,
}

impl Shared {
    fn log(&self, level: LogLevel, message: String) {
        self.events.log(level, message);
    }

    /// Asks the dynamic authenticator; None when the router stops first.
    async fn ask(&self, mut request: AuthRequest) -> Option<Result<Principal, String>> {
        let (tx, rx) = oneshot::channel();
        let id = self.next_auth.fetch_add(1, Ordering::Relaxed);
        request.id = id;
        self.pending_auth.lock().insert(id, tx);
        self.events.authenticate(request);
        let answer = tokio::select! {
            a = rx => a.ok(),
            _ = self.stopping.cancelled() => None,
        };
        self.pending_auth.lock().remove(&id);
        answer
    }
}

/// A running router. Dropping it without `stop` leaves its tasks running until the runtime
/// ends; the binding always stops it.
pub struct RouterServer {
    shared: Arc<Shared>,
    /// Each connection task holds a clone; `stop` waits until all are gone.
    alive: Mutex<Option<mpsc::Sender<()>>>,
    gone: tokio::sync::Mutex<mpsc::Receiver<()>>,
    unix_paths: Vec<String>,
}

impl RouterServer {
    /// Binds every transport (all or none) and starts accepting. Must run on a tokio runtime.
    pub async fn start(
        config: RouterConfig,
        events: Arc<dyn RouterEvents>,
    ) -> Result<(RouterServer, Vec<Listening>), StartError> {
        let join_timeout = Duration::from_secs_f64(config.join_timeout.clamp(0.001, 86_400.0));
        let shared = Arc::new(Shared {
            hub: Mutex::new(Hub::new(RouterCore::new(&config))),
            events,
            max_queued: config.max_queued_messages.max(1),
            join_timeout,
            pending_auth: Mutex::new(HashMap::new()),
            next_auth: AtomicU32::new(1),
            stopping: CancellationToken::new(),
            abort: CancellationToken::new(),
        });
        let mut bound = Vec::new();
        for spec in &config.transports {
            match Listener::bind(spec).await {
                Ok(l) => bound.push(l),
                Err(e) => {
                    for l in &bound {
                        l.remove_socket_file();
                    }
                    return Err(e);
                }
            }
        }
        let (alive, gone) = mpsc::channel(1);
        let listening = bound.iter().map(Listener::listening).collect();
        let unix_paths = bound.iter().filter_map(Listener::unix_path).collect();
        for l in bound {
            tokio::spawn(l.run(shared.clone(), alive.clone()));
        }
        let server = RouterServer {
            shared,
            alive: Mutex::new(Some(alive)),
            gone: tokio::sync::Mutex::new(gone),
            unix_paths,
        };
        Ok((server, listening))
    }

    pub fn session_count(&self) -> usize {
        self.shared.hub.lock().session_count()
    }

    /// The dynamic authenticator's answer to request `id`. False when nobody waits for it
    /// (answered already, or the session is gone).
    pub fn auth_decision(&self, id: u32, answer: Result<Principal, String>) -> bool {
        match self.shared.pending_auth.lock().remove(&id) {
            Some(tx) => tx.send(answer).is_ok(),
            None => false,
        }
    }

    /// Stops accepting, says GOODBYE (`wamp.close.system_shutdown`) to every session, waits
    /// (bounded) for the sessions to close, then ends what is left.
    pub async fn stop(&self) {
        self.shared.stopping.cancel();
        hub::shutdown(&self.shared);
        self.alive.lock().take();
        let mut gone = self.gone.lock().await;
        if tokio::time::timeout(STOP_GRACE, gone.recv()).await.is_err() {
            self.shared.abort.cancel();
            let _ = tokio::time::timeout(STOP_GRACE, gone.recv()).await;
        }
        for path in &self.unix_paths {
            let _ = std::fs::remove_file(path);
        }
    }
}
