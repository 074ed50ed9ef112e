//! One session on one open transport: the session core between the transport and the
//! commands from JavaScript, until the transport closes. Each turn delivers the events the core
//! produced, sends its messages, then waits for a frame, a command or a deadline.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{Actor, Attempt, Command, DEFAULT_LEAVE_REASON, GOODBYE_TIMEOUT};
use crate::client::events;
use crate::client::flow::Backlog;
use crate::client::session::{Output, SessionCore};
use crate::wamp::codec::{describe_attachments, Attachment, Codec, Outgoing, ReceivedValue};
use crate::wamp::transport::{sleep_until, Frame, Received, Transport};

pub(super) struct SessionRun<'a> {
    actor: &'a mut Actor,
    link: Transport,
    codec: Codec,
    serial: u32,
    session: SessionCore,
    out: Output,
    /// Values beside the text of the commands being sent, by placeholder index.
    outgoing: Outgoing,
    /// Values beside the text of the message received; they go to JavaScript with the events
    /// it produced.
    incoming: Vec<ReceivedValue>,
    /// The outgoing shares of the commands whose messages are in `out.to_router`: they count
    /// as buffered until those messages are written.
    unwritten: Vec<Backlog>,
    /// Frames handed to the transport so far: a write that makes progress is not given up.
    frames_written: Arc<AtomicUsize>,
    goodbye_deadline: Option<Instant>,
    /// A router that accepts the transport but never answers HELLO must not leave us waiting
    /// forever: the join gets `connect_timeout` too (any answer stops the clock, a CHALLENGE
    /// included, since the reply then depends on the application's onchallenge).
    join_deadline: Option<Instant>,
    /// The JavaScript side is gone: close, then end without reporting.
    abandoned: bool,
}

/// What the send step left to do.
enum Sent {
    /// Everything went out.
    All,
    /// Refused (too large) messages produced replies that have to go out before waiting.
    Replies,
}

impl<'a> SessionRun<'a> {
    /// Starts the session (its HELLO waits in `out`).
    pub(super) fn start(actor: &'a mut Actor, serial: u32, link: Transport, codec: Codec) -> Self {
        let mut out = Output::default();
        let session = SessionCore::start(
            serial,
            &actor.config.realm,
            actor.config.hello_details.get(),
            &mut out,
        );
        let join_timeout = Duration::from_secs_f64(actor.config.connect_timeout.max(0.001));
        SessionRun {
            actor,
            link,
            codec,
            serial,
            session,
            out,
            outgoing: Vec::new(),
            incoming: Vec::new(),
            unwritten: Vec::new(),
            frames_written: Arc::new(AtomicUsize::new(0)),
            goodbye_deadline: None,
            join_deadline: Some(Instant::now() + join_timeout),
            abandoned: false,
        }
    }

    pub(super) async fn run(mut self) -> Attempt {
        loop {
            self.deliver();
            match self.send().await {
                Ok(Sent::All) => {}
                Ok(Sent::Replies) => continue,
                Err(ended) => return ended,
            }
            if self.out.close_transport {
                self.close_link().await;
                if self.abandoned {
                    return Attempt::Abandoned;
                }
                return self.ended(true, None);
            }
            if let Some(ended) = self.wait().await {
                return ended;
            }
        }
    }

    fn ended(&self, was_clean: bool, note: Option<String>) -> Attempt {
        Attempt::Ended {
            was_clean,
            leave: self.session.leave_info().cloned(),
            note,
        }
    }

    /// Hands the events produced so far to JavaScript, with the attachments they refer to.
    fn deliver(&mut self) {
        if !self.out.to_js.is_empty() {
            self.actor
                .sink
                .emit_all(&mut self.out.to_js, std::mem::take(&mut self.incoming));
        }
        // Attachments of a message that produced no event have nobody to go to.
        self.incoming.clear();
    }

    /// Sends the messages for the router. A message too large for the transport goes back to
    /// the session core, which fails its request instead (or ends the attempt when it cannot).
    async fn send(&mut self) -> Result<Sent, Attempt> {
        if self.out.to_router.is_empty() {
            // Handled without a message to send (a stale serial, an error reported).
            self.unwritten.drain(..).for_each(Backlog::written);
            return Ok(Sent::All);
        }
        let mut refused = Vec::new();
        let interrupts = self.actor.commands.interrupts();
        let frames_written = self.frames_written.clone();
        let closing = self.actor.user_closed || self.goodbye_deadline.is_some();
        // A router that stopped reading would keep the write waiting forever: once the session
        // is closing, or a close (or a dropped transport) waits behind the write, a write that
        // makes no progress for as long as a GOODBYE may wait for its answer is given up. One
        // that progresses goes on, so what was sent before close() still goes out.
        let stuck = async move {
            if !closing {
                interrupts.wait().await;
            }
            loop {
                let before = frames_written.load(Ordering::Relaxed);
                tokio::time::sleep(GOODBYE_TIMEOUT).await;
                if frames_written.load(Ordering::Relaxed) == before {
                    return;
                }
            }
        };
        let result = tokio::select! {
            result = self.write_all(&mut refused) => result.map_err(Some),
            _ = stuck => Err(None),
        };
        self.outgoing.clear();
        match result {
            Ok(()) => self.unwritten.drain(..).for_each(Backlog::written),
            Err(Some(failure)) => return Err(self.ended(false, Some(failure))),
            Err(None) => return Err(self.interrupted()),
        }
        if refused.is_empty() {
            return Ok(Sent::All);
        }
        for (text, why) in refused {
            if !self.session.refuse_outgoing(&text, &why, &mut self.out) {
                return Err(self.ended(false, Some(format!("cannot send a message of {why}"))));
            }
        }
        Ok(Sent::Replies)
    }

    /// Closes the transport; the closing handshake is bounded too, since a router that does
    /// not read would keep it waiting.
    async fn close_link(&mut self) {
        let _ = tokio::time::timeout(GOODBYE_TIMEOUT, self.link.close()).await;
    }

    /// A write stuck on a router that does not read was given up for a `Close` or
    /// `DropTransport` waiting behind it: the commands waiting are handled (a `Close` marks the close as the
    /// application's) and the transport is dropped as it is, since a closing handshake would
    /// wait on the same socket.
    fn interrupted(&mut self) -> Attempt {
        while let Some(cmd) = self.actor.commands.try_recv() {
            self.command(Some(cmd));
        }
        self.out = Output::default();
        let note = "the transport was dropped while a write waited for the router to read";
        if self.actor.user_closed {
            Attempt::Ended {
                was_clean: true,
                leave: None,
                note: Some(note.into()),
            }
        } else {
            self.ended(false, Some(note.into()))
        }
    }

    /// Encodes and writes `out.to_router`, then flushes; messages over the transport's limit go
    /// to `refused` (with why). `Err`: the transport failed.
    async fn write_all(&mut self, refused: &mut Vec<(String, String)>) -> Result<(), String> {
        let limit = self.link.send_limit();
        // Emptied here and given back, so that its buffer serves the next turn too instead of
        // a new vector growing through its reallocations for each batch of commands.
        let mut messages = std::mem::take(&mut self.out.to_router);
        for msg in messages.drain(..) {
            let Some(frame) = self.encode(msg) else {
                continue;
            };
            if let Some((_, note)) = limit.as_ref().filter(|(max, _)| frame.len() > *max) {
                // Too large to send: the request fails, the connection stays.
                let size = frame.len();
                let text = self.codec.decode(frame, None).map_err(|e| e.to_string())?;
                refused.push((text, format!("{size} bytes, but {note}")));
                continue;
            }
            self.link.feed(frame).await.map_err(|e| e.to_string())?;
            self.frames_written.fetch_add(1, Ordering::Relaxed);
        }
        if self.out.to_router.is_empty() {
            self.out.to_router = messages;
        }
        self.link.flush().await.map_err(|e| e.to_string())
    }

    fn encode(&mut self, msg: String) -> Option<Frame> {
        if self.actor.config.debug {
            let outgoing = &self.outgoing;
            let shown = describe_attachments(&msg, |i| {
                outgoing
                    .get(i)
                    .and_then(Option::as_ref)
                    .map(Attachment::size)
            });
            self.actor.sink.emit(events::debug("tx", &shown));
        }
        match self.codec.encode(msg, &mut self.outgoing) {
            Ok(frame) => Some(frame),
            Err(e) => {
                // Our own message did not encode: a bug, not the router's fault.
                self.actor.sink.emit(events::internal_error(&e.to_string()));
                None
            }
        }
    }

    /// Waits for the next frame, command or deadline. `Some` ends the attempt.
    /// While the events JavaScript has not yet taken are over the limit, the socket is not read
    /// (TCP then pushes back on the router); commands and deadlines still are.
    async fn wait(&mut self) -> Option<Attempt> {
        let goodbye = self.goodbye_deadline;
        let join = self.join_deadline;
        let inbound = &self.actor.inbound;
        let reading = inbound.has_room();
        tokio::select! {
            received = self.link.recv(), if reading => return self.receive(received).await,
            _ = inbound.room(), if !reading => {}
            cmd = self.actor.commands.recv() => self.command(cmd),
            _ = sleep_until(goodbye), if goodbye.is_some() => {
                // The router did not answer our GOODBYE: close anyway.
                self.out.close_transport = true;
            }
            _ = sleep_until(join), if join.is_some() => {
                self.close_link().await;
                return Some(self.ended(
                    false,
                    Some(format!(
                        "the router did not answer HELLO within {} s (connect_timeout)",
                        self.actor.config.connect_timeout
                    )),
                ));
            }
        }
        None
    }

    /// A frame from the router goes to the session core; a close ends the attempt.
    async fn receive(&mut self, received: Received) -> Option<Attempt> {
        let frame = match received {
            Received::Frame(frame) => frame,
            Received::Closed { clean, note } => {
                if clean {
                    self.link.finish_close().await;
                }
                return Some(self.ended(clean, note));
            }
        };
        match self.codec.decode(frame, Some(&mut self.incoming)) {
            Ok(text) => {
                if self.actor.config.debug {
                    let incoming = &self.incoming;
                    let shown =
                        describe_attachments(&text, |i| incoming.get(i).map(ReceivedValue::size));
                    self.actor.sink.emit(events::debug("rx", &shown));
                }
                // Any answer to HELLO (WELCOME, CHALLENGE, ABORT) ends the join clock.
                self.join_deadline = None;
                self.session.on_message(&text, &mut self.out);
            }
            Err(e) => self.session.violate(&e.to_string(), &mut self.out),
        }
        None
    }

    fn command(&mut self, cmd: Option<Command>) {
        match cmd {
            Some(Command::Send {
                serial,
                text,
                attachments,
                backlog,
            }) => {
                // Commands for an earlier session of this connection are dropped.
                if serial == self.serial {
                    self.unwritten.push(backlog);
                    self.outgoing = attachments.into_iter().map(Some).collect();
                    // One command per line (`split` on a one-byte char searches with memchr).
                    for line in text.split('\n') {
                        if let Err(e) = self.session.on_command(line, &mut self.out) {
                            self.out.to_js.push(events::internal_error(&e.to_string()));
                        }
                    }
                }
            }
            Some(Command::Close { reason, message }) => {
                self.actor.user_closed = true;
                let reason = reason.as_deref().unwrap_or(DEFAULT_LEAVE_REASON);
                if self
                    .session
                    .leave(reason, message.as_deref(), &mut self.out)
                {
                    self.goodbye_deadline = Some(Instant::now() + GOODBYE_TIMEOUT);
                } else {
                    self.out.close_transport = true;
                }
            }
            Some(Command::RetryDecision { .. }) => {}
            Some(Command::DropTransport) => self.out.close_transport = true,
            None => {
                self.abandoned = true;
                self.out.close_transport = true;
            }
        }
    }
}
