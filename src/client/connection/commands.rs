//! The channel of `Command`s from JavaScript to the connection actor. It also counts the
//! commands that interrupt the transport (`Close`, `DropTransport`) still on their way, so a
//! write stuck on a router that stopped reading can give up when one is waiting: otherwise
//! the actor, blocked in the write, would never see it.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::Notify;

use super::Command;

#[derive(Default)]
struct Interrupts {
    /// Sent and not yet received.
    waiting: AtomicUsize,
    sent: Notify,
}

fn interrupts_transport(cmd: &Command) -> bool {
    matches!(cmd, Command::Close { .. } | Command::DropTransport)
}

pub fn command_channel() -> (CommandSender, CommandReceiver) {
    let (tx, rx) = unbounded_channel();
    let interrupts = Arc::new(Interrupts::default());
    (
        CommandSender {
            tx,
            interrupts: interrupts.clone(),
        },
        CommandReceiver { rx, interrupts },
    )
}

pub struct CommandSender {
    tx: UnboundedSender<Command>,
    interrupts: Arc<Interrupts>,
}

impl CommandSender {
    /// False when the actor has ended.
    pub fn send(&self, cmd: Command) -> bool {
        let interrupting = interrupts_transport(&cmd);
        if interrupting {
            // Counted before it can be received, so the count never goes below zero.
            self.interrupts.waiting.fetch_add(1, SeqCst);
        }
        let sent = self.tx.send(cmd).is_ok();
        if interrupting {
            self.interrupts.sent.notify_waiters();
        }
        sent
    }
}

pub struct CommandReceiver {
    rx: UnboundedReceiver<Command>,
    interrupts: Arc<Interrupts>,
}

impl CommandReceiver {
    /// The next command; None once every sender is gone. Cancel-safe.
    pub async fn recv(&mut self) -> Option<Command> {
        let cmd = self.rx.recv().await;
        self.received(&cmd);
        cmd
    }

    /// A command that is already waiting, if any.
    pub fn try_recv(&mut self) -> Option<Command> {
        let cmd = self.rx.try_recv().ok();
        self.received(&cmd);
        cmd
    }

    pub fn close(&mut self) {
        self.rx.close();
    }

    /// What tells that a `Close` or `DropTransport` is waiting to be received.
    pub fn interrupts(&self) -> InterruptSignal {
        InterruptSignal(self.interrupts.clone())
    }

    fn received(&self, cmd: &Option<Command>) {
        if cmd.as_ref().is_some_and(interrupts_transport) {
            self.interrupts.waiting.fetch_sub(1, SeqCst);
        }
    }
}

pub struct InterruptSignal(Arc<Interrupts>);

impl InterruptSignal {
    /// Resolves when a `Close` or `DropTransport` is waiting to be received.
    pub async fn wait(&self) {
        let interrupts = &self.0;
        loop {
            let sent = interrupts.sent.notified();
            tokio::pin!(sent);
            sent.as_mut().enable();
            if interrupts.waiting.load(SeqCst) > 0 {
                return;
            }
            sent.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiting_close_is_an_interrupt_until_received() {
        let short = std::time::Duration::from_millis(20);
        let (tx, mut rx) = command_channel();
        let signal = rx.interrupts();
        tx.send(Command::RetryDecision { stop: false });
        assert!(
            tokio::time::timeout(short, signal.wait()).await.is_err(),
            "no interrupt yet"
        );
        tx.send(Command::DropTransport);
        signal.wait().await;
        assert!(matches!(rx.try_recv(), Some(Command::RetryDecision { .. })));
        signal.wait().await;
        assert!(matches!(rx.recv().await, Some(Command::DropTransport)));
        assert!(
            tokio::time::timeout(short, signal.wait()).await.is_err(),
            "received: no longer waiting"
        );
    }
}
