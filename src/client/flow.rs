//! Flow control between JavaScript and the socket, both ways, with atomic counters only: no
//! per-message crossing to JavaScript.
//!
//! - Outgoing: `Outbound` counts the bytes and messages JavaScript handed over and the writer has
//!   not yet written to the socket. Each accepted command carries a `Backlog` share that gives its
//!   amount back when it is dropped: after its messages are written, or when it is discarded (a
//!   session that ended, a connection that closed). JavaScript refuses new requests over its
//!   high-water mark by reading the counter; when writes bring the count to the low-water mark
//!   while JavaScript waits for it, one `drained` event says so. Discarded commands lower the
//!   count without the event: their session is ending, and its end settles the wait.
//! - Incoming: `InboundGate` counts the bytes of events waiting for the JavaScript thread; the
//!   connection actor reads the socket only while they are under the limit, so a slow consumer
//!   makes TCP push back on the router instead of growing a queue here.

use std::sync::atomic::{
    AtomicBool, AtomicUsize,
    Ordering::{Relaxed, Release, SeqCst},
};
use std::sync::Arc;

use tokio::sync::Notify;

/// Bytes and messages accepted from JavaScript and not yet written to the socket.
pub struct Outbound {
    bytes: AtomicUsize,
    messages: AtomicUsize,
    low_water: AtomicUsize,
    /// JavaScript waits for the count to fall to `low_water`.
    drain_wanted: AtomicBool,
    on_drained: Box<dyn Fn() + Send + Sync>,
}

impl Outbound {
    /// `on_drained` runs (on the thread that released the bytes) when the count falls to the
    /// low-water mark while JavaScript waits for it.
    pub fn new(on_drained: impl Fn() + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Outbound {
            bytes: AtomicUsize::new(0),
            messages: AtomicUsize::new(0),
            low_water: AtomicUsize::new(0),
            drain_wanted: AtomicBool::new(false),
            on_drained: Box::new(on_drained),
        })
    }

    /// Counts `bytes` in `messages` as accepted; the share gives them back when dropped.
    pub fn accept(self: &Arc<Self>, bytes: usize, messages: usize) -> Backlog {
        self.bytes.fetch_add(bytes, SeqCst);
        self.messages.fetch_add(messages, SeqCst);
        Backlog {
            outbound: self.clone(),
            bytes,
            messages,
            written: false,
        }
    }

    pub fn bytes(&self) -> usize {
        self.bytes.load(SeqCst)
    }

    pub fn messages(&self) -> usize {
        self.messages.load(SeqCst)
    }

    /// Asks for one `on_drained` when the count falls to `low_water`; returns the count now
    /// (when it is already that low, JavaScript need not wait).
    pub fn want_drain(&self, low_water: usize) -> usize {
        self.low_water.store(low_water, SeqCst);
        // Set before reading the count, while `release` lowers the count before reading the
        // flag (both SeqCst): one of the two sides always sees the other.
        self.drain_wanted.store(true, SeqCst);
        self.bytes()
    }

    fn release(&self, bytes: usize, messages: usize, written: bool) {
        self.messages.fetch_sub(messages, SeqCst);
        let left = self.bytes.fetch_sub(bytes, SeqCst).saturating_sub(bytes);
        if written && left <= self.low_water.load(SeqCst) && self.drain_wanted.swap(false, SeqCst) {
            (self.on_drained)();
        }
    }
}

/// A command's share of the outgoing count, given back when dropped.
pub struct Backlog {
    outbound: Arc<Outbound>,
    bytes: usize,
    messages: usize,
    written: bool,
}

impl Backlog {
    /// The command's messages were handed to the socket (or failed their requests, when too
    /// large to send): gives the share back, and may tell JavaScript the count is low.
    pub fn written(mut self) {
        self.written = true;
    }
}

impl std::fmt::Debug for Backlog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Backlog({} bytes, {} messages)",
            self.bytes, self.messages
        )
    }
}

impl Drop for Backlog {
    fn drop(&mut self) {
        self.outbound
            .release(self.bytes, self.messages, self.written);
    }
}

/// Bytes of events waiting for the JavaScript thread, and the limit over which the connection
/// stops reading the socket.
pub struct InboundGate {
    queued: AtomicUsize,
    /// The most that was ever queued (for tests and diagnostics).
    peak: AtomicUsize,
    limit: AtomicUsize,
    room: Notify,
}

impl InboundGate {
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(InboundGate {
            queued: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            limit: AtomicUsize::new(limit.max(1)),
            room: Notify::new(),
        })
    }

    pub fn set_limit(&self, limit: usize) {
        self.limit.store(limit.max(1), SeqCst);
        self.room.notify_waiters();
    }

    /// Events of `bytes` joined the queue. Called, like `taken`, under the lock of the queue
    /// counted, so nothing else changes the counts meanwhile: a load and a store each, no
    /// read-modify-write (this runs for every event received).
    pub fn queued(&self, bytes: usize) {
        let now = self.queued.load(Relaxed).saturating_add(bytes);
        self.queued.store(now, Release);
        if now > self.peak.load(Relaxed) {
            self.peak.store(now, Relaxed);
        }
    }

    /// JavaScript took everything queued (under the queue's lock, as `queued`).
    pub fn taken(&self) {
        self.queued.store(0, SeqCst);
        self.room.notify_waiters();
    }

    pub fn has_room(&self) -> bool {
        self.queued.load(SeqCst) < self.limit.load(SeqCst)
    }

    /// Waits until the queue is under the limit.
    pub async fn room(&self) {
        loop {
            let notified = self.room.notified();
            tokio::pin!(notified);
            // Registered before the check, so a `taken` between the two is not missed.
            notified.as_mut().enable();
            if self.has_room() {
                return;
            }
            notified.await;
        }
    }

    /// `(queued, peak)` bytes.
    pub fn stats(&self) -> (usize, usize) {
        (self.queued.load(SeqCst), self.peak.load(SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    #[test]
    fn shares_give_their_bytes_back_when_dropped() {
        let out = Outbound::new(|| {});
        let a = out.accept(100, 2);
        let b = out.accept(50, 1);
        assert_eq!((out.bytes(), out.messages()), (150, 3));
        drop(a);
        assert_eq!((out.bytes(), out.messages()), (50, 1));
        drop(b);
        assert_eq!((out.bytes(), out.messages()), (0, 0));
    }

    #[test]
    fn drained_fires_once_when_the_count_reaches_the_low_water_mark() {
        let fired = Arc::new(AtomicU32::new(0));
        let seen = fired.clone();
        let out = Outbound::new(move || {
            seen.fetch_add(1, SeqCst);
        });
        let shares: Vec<_> = (0..4).map(|_| out.accept(100, 1)).collect();
        assert_eq!(out.want_drain(150), 400);
        let mut shares = shares.into_iter();
        let mut write_next = || shares.next().expect("a share").written();
        write_next();
        write_next();
        assert_eq!(fired.load(SeqCst), 0, "300 bytes left, over 150");
        write_next();
        assert_eq!(fired.load(SeqCst), 1, "100 bytes left");
        write_next();
        assert_eq!(fired.load(SeqCst), 1, "nobody asked again");
    }

    #[test]
    fn nothing_fires_unless_asked_or_for_discarded_commands() {
        let fired = Arc::new(AtomicU32::new(0));
        let seen = fired.clone();
        let out = Outbound::new(move || {
            seen.fetch_add(1, SeqCst);
        });
        out.accept(10, 1).written();
        assert_eq!(fired.load(SeqCst), 0);
        let discarded = out.accept(10, 1);
        out.want_drain(0);
        drop(discarded);
        assert_eq!((fired.load(SeqCst), out.bytes()), (0, 0));
    }

    #[tokio::test]
    async fn the_gate_opens_when_javascript_takes_the_queue() {
        let gate = InboundGate::new(100);
        gate.queued(60);
        assert!(gate.has_room());
        gate.queued(60);
        assert!(!gate.has_room());
        assert_eq!(gate.stats(), (120, 120));
        let waiter = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.room().await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        gate.taken();
        waiter.await.expect("the waiter ends");
        assert_eq!(gate.stats(), (0, 120));
    }
}
