//! `NativeRouter`: the embedded router for lib/router.js. Routing runs on the router's own
//! runtime; JavaScript hears of it through one callback `(kind, json)`: `log` lines and `auth`
//! requests for the dynamic authenticator, whose answers come back through `authDecision`.

use std::sync::{Arc, OnceLock};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use parking_lot::Mutex;

use crate::router::config::{Principal, RouterConfig};
use crate::router::server::{AuthRequest, LogLevel, RouterEvents, RouterServer, StartError};

/// Two workers: one per core of a small machine; routing is short work per message, and the
/// connections' encoding and socket writes spread over both.
fn router_runtime() -> Result<&'static tokio::runtime::Handle> {
    static RUNTIME: super::RuntimeSlot = OnceLock::new();
    super::shared_runtime(&RUNTIME, "autobahn-router", 2)
}

/// Weak: the callback never keeps Node alive by itself; lib/router.js holds the loop open
/// while the router runs.
type EventCallback =
    ThreadsafeFunction<FnArgs<(String, String)>, (), FnArgs<(String, String)>, Status, false, true>;

struct JsEvents {
    callback: EventCallback,
}

/// Where the constructor keeps the event callback: on the JavaScript object, so that it lives
/// and dies with it (see `ON_EVENTS` in the connection binding).
const ON_EVENT: &str = "onEvent";

impl JsEvents {
    /// Events for the `ON_EVENT` callback of the JavaScript `NativeRouter`.
    fn new(this: &Object) -> Result<Self> {
        let on_event: Function<FnArgs<(String, String)>, ()> = this.get_named_property(ON_EVENT)?;
        let callback = on_event
            .build_threadsafe_function::<FnArgs<(String, String)>>()
            .weak::<true>()
            .build()?;
        Ok(JsEvents { callback })
    }

    fn emit(&self, kind: &str, payload: String) {
        // A closing environment refuses the call; there is nobody left to tell.
        let _ = self.callback.call(
            FnArgs::from((kind.to_string(), payload)),
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    }
}

impl RouterEvents for JsEvents {
    fn log(&self, level: LogLevel, message: String) {
        let payload = serde_json::json!({ "level": level.name(), "message": message });
        self.emit("log", payload.to_string());
    }

    fn authenticate(&self, request: AuthRequest) {
        let payload = serde_json::json!({
            "id": request.id,
            "realm": request.realm,
            "authid": request.authid,
            "authmethod": request.authmethod,
            "details": request.details,
        });
        self.emit("auth", payload.to_string());
    }
}

#[napi]
pub struct NativeRouter {
    server: Arc<Mutex<Option<Arc<RouterServer>>>>,
}

#[napi]
impl NativeRouter {
    /// `on_event(kind, json)`: `log` `{level, message}` and `auth` `{id, realm, authid,
    /// authmethod, details}`.
    #[napi(constructor)]
    pub fn new(mut this: This, on_event: Function<FnArgs<(String, String)>, ()>) -> Result<Self> {
        this.set_named_property(ON_EVENT, on_event)?;
        Ok(NativeRouter {
            server: Arc::new(Mutex::new(None)),
        })
    }

    /// Starts listening with the settings lib/router.js normalised (JSON text). Resolves with
    /// JSON: `{listening: [{type, url}]}`, or `{error, code}` when it could not start.
    ///
    /// The server alone owns the threadsafe function of its events: once stopped and gone, it
    /// is released and Node sees its async resource destroyed (jest --detectOpenHandles
    /// reports it otherwise).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn start<'env>(&self, env: &'env Env, this: This, config: String) -> Result<Object<'env>> {
        let runtime = router_runtime()?;
        let (deferred, promise) = env.create_deferred()?;
        let events: Arc<dyn RouterEvents> = Arc::new(JsEvents::new(&this)?);
        let slot = self.server.clone();
        runtime.spawn(async move {
            let started = match RouterConfig::from_json(&config) {
                Ok(cfg) => RouterServer::start(cfg, events).await,
                Err(e) => Err(StartError::from(e)),
            };
            let answer = match started {
                Ok((server, listening)) => {
                    *slot.lock() = Some(Arc::new(server));
                    serde_json::json!({ "listening": listening })
                }
                Err(e) => serde_json::json!({ "error": e.to_string(), "code": e.code() }),
            };
            deferred.resolve(move |_| Ok(answer.to_string()));
        });
        Ok(promise)
    }

    /// GOODBYE `wamp.close.system_shutdown` to every session, close everything; resolves when
    /// done (at most a few seconds).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn stop<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        let runtime = router_runtime()?;
        let (deferred, promise) = env.create_deferred()?;
        let server = self.server.lock().take();
        runtime.spawn(async move {
            if let Some(server) = server {
                server.stop().await;
            }
            deferred.resolve(|_| Ok(()));
        });
        Ok(promise)
    }

    #[napi]
    pub fn session_count(&self) -> u32 {
        self.server
            .lock()
            .as_ref()
            .map_or(0, |s| u32::try_from(s.session_count()).unwrap_or(u32::MAX))
    }

    /// The dynamic authenticator's answer to request `id`: a principal (JSON) or a denial. A
    /// principal that does not parse denies the join (with the reason) and throws the reason.
    #[napi]
    pub fn auth_decision(
        &self,
        id: u32,
        principal: Option<String>,
        denial: Option<String>,
    ) -> Result<()> {
        let Some(json) = principal else {
            let why = denial.unwrap_or_else(|| "denied by the authenticator".into());
            self.decide(id, Err(why));
            return Ok(());
        };
        match serde_json::from_str::<Principal>(&json) {
            Ok(principal) => {
                self.decide(id, Ok(principal));
                Ok(())
            }
            Err(e) => {
                let why = format!("the authenticator's principal is not usable: {e}");
                self.decide(id, Err(why.clone()));
                Err(Error::from_reason(why))
            }
        }
    }
}

/// The JavaScript object is gone without `stop()` (its worker thread ended, or the
/// environment is torn down): the router stops with it rather than serve on unowned.
impl Drop for NativeRouter {
    fn drop(&mut self) {
        if let Some(server) = self.server.lock().take() {
            if let Ok(runtime) = router_runtime() {
                runtime.spawn(async move { server.stop().await });
            }
        }
    }
}

impl NativeRouter {
    fn decide(&self, id: u32, answer: std::result::Result<Principal, String>) {
        if let Some(server) = self.server.lock().as_ref() {
            // Nobody waits any more when the client left meanwhile: nothing to do.
            server.auth_decision(id, answer);
        }
    }
}
