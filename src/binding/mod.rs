//! The napi layer: one `NativeConnection` per JavaScript `Connection`. Commands go to the
//! connection actor over a channel; events come back through one threadsafe function, in
//! batches: whatever the engine queued before the JavaScript thread got round to it crosses
//! as one string (a JSON array of events) in one call, with the batch's attachments (Buffers
//! and long strings) beside it.

mod auth;
mod constants;
mod errors;
mod router;

use std::sync::atomic::AtomicU32;
use std::sync::{Arc, OnceLock, Weak};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use parking_lot::Mutex;

use crate::client::config::ConnectionConfig;
use crate::client::config::DEFAULT_INCOMING_HIGH_WATER_MARK;
use crate::client::connection::{command_channel, Actor, Command, CommandSender};
use crate::client::flow::{InboundGate, Outbound};
use crate::client::{events, EventSink};
use crate::wamp::codec::batch::AttachedBatch;
use crate::wamp::codec::{Attachment, ReceivedValue};
use errors::{Coded, ErrorCode};

type RuntimeSlot = OnceLock<std::result::Result<tokio::runtime::Runtime, String>>;

/// A process-wide runtime, started on first use.
fn shared_runtime(
    slot: &'static RuntimeSlot,
    name: &str,
    workers: usize,
) -> Result<&'static tokio::runtime::Handle> {
    slot.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name(name)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map(|rt| rt.handle())
    .map_err(|e| Error::from_reason(format!("cannot start the {name} runtime: {e}")))
}

/// The clients' runtime: one worker thread is plenty for socket I/O and timers.
fn runtime() -> Result<&'static tokio::runtime::Handle> {
    static RUNTIME: RuntimeSlot = OnceLock::new();
    shared_runtime(&RUNTIME, "autobahn-io", 1)
}

/// Weak: the callback alone never keeps Node alive; index.js holds the event loop open while
/// a connection is active.
type EventCallback = ThreadsafeFunction<(), (), BatchArgs, Status, false, true>;
/// `(batch, attachments)`: the JSON text of an array of events, and its attachments (or null).
type BatchArgs = FnArgs<(BatchText, Option<Vec<JsReceived>>)>;
type JsAttachment = Either<Buffer, JsText>;

/// A value received beside an event batch, on its way to JavaScript: a `Buffer` over the
/// received bytes themselves (no copy; the buffer they live in is released when JavaScript
/// lets go of it), or a string.
pub struct JsReceived(ReceivedValue);

impl ToNapiValue for JsReceived {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let mut out = std::ptr::null_mut();
        let status = match val.0 {
            ReceivedValue::Text(utf8) => unsafe { create_string(env, &utf8, &mut out) },
            ReceivedValue::Bytes(bytes) => {
                let len = bytes.len();
                let data = bytes.as_ptr().cast_mut().cast();
                let hint = Box::into_raw(Box::new(bytes));
                let status = unsafe {
                    sys::napi_create_external_buffer(
                        env,
                        len,
                        data,
                        Some(release_bytes),
                        hint.cast(),
                        &mut out,
                    )
                };
                if status == sys::Status::napi_ok {
                    status
                } else {
                    // Not created, so the finalizer will not run: take the bytes back and copy
                    // them (runtimes that refuse external buffers).
                    let bytes = unsafe { Box::from_raw(hint) };
                    unsafe {
                        sys::napi_create_buffer_copy(
                            env,
                            len,
                            bytes.as_ptr().cast(),
                            std::ptr::null_mut(),
                            &mut out,
                        )
                    }
                }
            }
        };
        check_status!(status, "cannot hand a received value to JavaScript")?;
        Ok(out)
    }
}

/// A JavaScript string as UTF-8, converted in one pass. napi-rs's `String` first asks V8 for the
/// UTF-8 length, a pass over the whole string that costs more than the conversion itself, then
/// zero-fills its buffer; this asks for the length in UTF-16 units (no pass) and converts into a
/// buffer large enough for any string of that length.
pub struct JsText(String);

impl TypeName for JsText {
    fn type_name() -> &'static str {
        "String"
    }

    fn value_type() -> ValueType {
        ValueType::String
    }
}

impl ValidateNapiValue for JsText {}

impl FromNapiValue for JsText {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        let mut units = 0;
        let status = unsafe {
            sys::napi_get_value_string_utf16(env, value, std::ptr::null_mut(), 0, &mut units)
        };
        check_status!(status, "expected a string")?;
        // At most 3 UTF-8 bytes per UTF-16 unit (a surrogate pair's 4 bytes are 2 units, a lone
        // surrogate becomes U+FFFD), and napi's terminating NUL. Pages never written are never
        // touched, so a large string's unused part costs address space only.
        let capacity = units
            .checked_mul(3)
            .and_then(|n| n.checked_add(1))
            .ok_or_else(|| Error::from_reason("string too long"))?;
        let mut utf8: Vec<u8> = Vec::with_capacity(capacity);
        let mut written = 0;
        let status = unsafe {
            sys::napi_get_value_string_utf8(
                env,
                value,
                utf8.as_mut_ptr().cast(),
                capacity,
                &mut written,
            )
        };
        check_status!(status, "cannot read a string")?;
        // napi wrote `written` bytes (the NUL after them not counted), within the capacity.
        // Not shrunk: the string lives only until it is written, and shrinking a large buffer
        // moved it into fresh pages (a megabyte of page faults per megabyte of string).
        unsafe { utf8.set_len(written.min(capacity)) };
        String::from_utf8(utf8)
            .map(JsText)
            .map_err(|_| Error::from_reason("a string converted to invalid UTF-8"))
    }
}

/// The JSON text of a batch of events, on its way to JavaScript.
pub struct BatchText(String);

impl ToNapiValue for BatchText {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let mut out = std::ptr::null_mut();
        let status = unsafe { create_string(env, val.0.as_bytes(), &mut out) };
        check_status!(status, "cannot hand a batch of events to JavaScript")?;
        Ok(out)
    }
}

/// A JavaScript string from UTF-8. ASCII text (most batches of events, and most long strings:
/// Base64, CSV, JSON, logs) is also Latin-1, which V8 copies as it is instead of decoding UTF-8:
/// about twice as fast for a long string.
unsafe fn create_string(
    env: sys::napi_env,
    utf8: &[u8],
    out: &mut sys::napi_value,
) -> sys::napi_status {
    let create = if utf8.is_ascii() {
        sys::napi_create_string_latin1
    } else {
        sys::napi_create_string_utf8
    };
    // At most isize::MAX bytes: it is an allocation.
    unsafe { create(env, utf8.as_ptr().cast(), utf8.len() as isize, out) }
}

/// The finalizer of a `Buffer` made by `JsReceived`: releases its bytes.
unsafe extern "C" fn release_bytes(
    _env: sys::napi_env,
    _data: *mut std::ffi::c_void,
    hint: *mut std::ffi::c_void,
) {
    drop(unsafe { Box::from_raw(hint.cast::<bytes::Bytes>()) });
}

struct BatchSink {
    /// Events waiting for the JavaScript thread.
    queue: Arc<Mutex<AttachedBatch>>,
    /// Counts the bytes in `queue` (changed under its lock).
    inbound: Arc<InboundGate>,
    callback: EventCallback,
}

impl BatchSink {
    /// A sink that calls the `ON_EVENTS` callback of the JavaScript `NativeConnection`.
    fn new(this: &Object, inbound: Arc<InboundGate>) -> Result<Self> {
        let on_events: Function<BatchArgs, ()> = this.get_named_property(ON_EVENTS)?;
        let queue = Arc::new(Mutex::new(AttachedBatch::default()));
        let drain = queue.clone();
        let drained = inbound.clone();
        let callback = on_events
            .build_threadsafe_function::<()>()
            .weak::<true>()
            .build_callback(move |_ctx| {
                let (text, attachments) = {
                    let mut queue = drain.lock();
                    drained.taken();
                    queue.take()
                };
                let values = (!attachments.is_empty())
                    .then(|| attachments.into_iter().map(JsReceived).collect());
                Ok(FnArgs::from((BatchText(text), values)))
            })?;
        Ok(BatchSink {
            queue,
            inbound,
            callback,
        })
    }

    fn notify(&self) {
        // One call per batch: later events join the queued batch until JavaScript takes it.
        // A closing environment refuses the call; there is nobody left to tell.
        let _ = self
            .callback
            .call((), ThreadsafeFunctionCallMode::NonBlocking);
    }
}

impl EventSink for BatchSink {
    fn emit(&self, event: String) {
        let first = {
            let mut queue = self.queue.lock();
            self.inbound.queued(event.len());
            queue.push(&event)
        };
        if first {
            self.notify();
        }
    }

    fn emit_all(&self, events: &mut Vec<String>, attachments: Vec<ReceivedValue>) {
        let bytes = events.iter().map(String::len).sum::<usize>()
            + attachments.iter().map(|a| a.size().1).sum::<usize>();
        let first = {
            let mut queue = self.queue.lock();
            self.inbound.queued(bytes);
            queue.push_all(events, attachments)
        };
        if first {
            self.notify();
        }
    }
}

/// What `NativeConnection.flowStats()` reports (for tests and diagnostics).
#[napi(object)]
pub struct FlowStats {
    /// Bytes of events waiting for the JavaScript thread now.
    pub incoming_queued_bytes: f64,
    /// The most bytes of events that ever waited for the JavaScript thread.
    pub incoming_peak_bytes: f64,
    pub outgoing_bytes: f64,
    pub outgoing_messages: f64,
}

#[napi]
pub struct NativeConnection {
    /// Unbounded as a channel, but what enters it is counted here and JavaScript refuses new
    /// requests over its high-water mark.
    commands: Option<CommandSender>,
    outbound: Arc<Outbound>,
    /// The sink of the latest `open()`, owned by its actor: the `drained` event goes there.
    current_sink: Arc<Mutex<Weak<BatchSink>>>,
    /// The incoming gate of the latest `open()` (for `flowStats()`).
    inbound: Arc<InboundGate>,
    serial: Arc<AtomicU32>,
}

/// Where the constructor keeps the event callback: on the JavaScript object itself, so that the
/// callback (which refers back to its `Connection`) lives and dies with it. A reference held
/// here would be a root the garbage collector cannot see through.
const ON_EVENTS: &str = "onEvents";

#[napi]
impl NativeConnection {
    /// `on_events(batch)` receives the JSON text of an array of events.
    #[napi(constructor)]
    pub fn new(mut this: This, on_events: Function<BatchArgs, ()>) -> Result<Self> {
        this.set_named_property(ON_EVENTS, on_events)?;
        let current_sink: Arc<Mutex<Weak<BatchSink>>> = Arc::new(Mutex::new(Weak::new()));
        let drained_to = current_sink.clone();
        let outbound = Outbound::new(move || {
            let sink = drained_to.lock().upgrade();
            if let Some(sink) = sink {
                sink.emit(events::drained());
            }
        });
        Ok(NativeConnection {
            current_sink,
            inbound: InboundGate::new(DEFAULT_INCOMING_HIGH_WATER_MARK),
            commands: None,
            outbound,
            serial: Arc::new(AtomicU32::new(0)),
        })
    }

    /// Starts connecting with the settings index.js normalised (JSON text).
    ///
    /// Each open gets its own threadsafe function, owned by the actor alone: when the actor
    /// ends (the final close), it is released and Node sees its async resource destroyed, so
    /// nothing of a closed connection stays behind (jest --detectOpenHandles reports it
    /// otherwise) and the callback no longer pins the `Connection`.
    #[napi]
    pub fn open(&mut self, this: This, config: String) -> Result<(), ErrorCode> {
        // index.js calls open() only after the final close; an actor that has not yet noticed
        // (it may still be dropping its end) stops when its command channel goes away here.
        let config = ConnectionConfig::from_json(&config).map_err(|e| e.to_napi())?;
        let runtime = runtime().map_err(|e| Error::new(ErrorCode::Runtime, e.reason))?;
        // A gate per open: bytes an ended actor's sink still counted do not hold back the next.
        let inbound = InboundGate::new(DEFAULT_INCOMING_HIGH_WATER_MARK);
        let sink = Arc::new(
            BatchSink::new(&this, inbound.clone())
                .map_err(|e| Error::new(ErrorCode::Runtime, e.reason))?,
        );
        *self.current_sink.lock() = Arc::downgrade(&sink);
        self.inbound = inbound.clone();
        let (tx, rx) = command_channel();
        let sink: Arc<dyn EventSink> = sink;
        let actor = Actor::new(config, rx, sink, inbound, self.serial.clone());
        runtime.spawn(actor.run());
        self.commands = Some(tx);
        Ok(())
    }

    /// Sends WAMP commands (separated by newlines) on the session with this serial, with the
    /// attachments (Buffers and long strings) their placeholders refer to. Returns the bytes
    /// now waiting to be written, these included.
    #[napi]
    pub fn send(
        &self,
        serial: u32,
        #[napi(ts_arg_type = "string")] text: JsText,
        attachments: Option<Vec<JsAttachment>>,
    ) -> f64 {
        let text = text.0;
        let attachments: Vec<Attachment> = attachments
            .map(|list| {
                list.into_iter()
                    .map(|a| match a {
                        Either::A(b) => Attachment::Bytes(b.to_vec().into()),
                        Either::B(t) => Attachment::text(t.0),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let bytes = text.len() + attachments.iter().map(|a| a.size().1).sum::<usize>();
        let messages = 1 + text.bytes().filter(|&b| b == b'\n').count();
        let backlog = self.outbound.accept(bytes, messages);
        self.command(Command::Send {
            serial,
            text,
            attachments,
            backlog,
        });
        self.outbound.bytes() as f64
    }

    /// Bytes accepted by `send` and not yet written to the socket.
    #[napi]
    pub fn buffered_bytes(&self) -> f64 {
        self.outbound.bytes() as f64
    }

    /// WAMP messages accepted by `send` and not yet written to the socket.
    #[napi]
    pub fn buffered_messages(&self) -> f64 {
        self.outbound.messages() as f64
    }

    /// Asks for one `drained` event when the buffered bytes fall to `low_water`; returns the
    /// buffered bytes now (at or under `low_water`: no event need be awaited).
    #[napi]
    pub fn want_drain(&self, low_water: f64) -> f64 {
        // A number from index.js, validated there; the cast saturates.
        self.outbound.want_drain(low_water as usize) as f64
    }

    #[napi]
    pub fn flow_stats(&self) -> FlowStats {
        let (queued, peak) = self.inbound.stats();
        FlowStats {
            incoming_queued_bytes: queued as f64,
            incoming_peak_bytes: peak as f64,
            outgoing_bytes: self.outbound.bytes() as f64,
            outgoing_messages: self.outbound.messages() as f64,
        }
    }

    #[napi]
    pub fn close(&self, reason: Option<String>, message: Option<String>) {
        self.command(Command::Close { reason, message });
    }

    /// The answer of `onclose` after a close that may be followed by a retry.
    #[napi]
    pub fn retry_decision(&self, stop: bool) {
        self.command(Command::RetryDecision { stop });
    }

    /// `connection.transport.close()`: drop the transport; the connection reconnects.
    #[napi]
    pub fn drop_transport(&self) {
        self.command(Command::DropTransport);
    }

    fn command(&self, cmd: Command) {
        if let Some(tx) = &self.commands {
            // After the actor ended there is nothing to send to; JavaScript knows from the
            // close event it already received.
            let _ = tx.send(cmd);
        }
    }
}
