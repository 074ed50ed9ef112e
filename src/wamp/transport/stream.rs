//! The byte stream under a transport: TCP, TLS over TCP, or a Unix domain socket.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
#[cfg(unix)]
use tokio::net::UnixStream;
use tokio_rustls::client::TlsStream;

use super::tls;
use crate::wamp::error::TransportError;
use crate::wamp::transport::config::TlsOptions;

pub enum Stream {
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    #[cfg(unix)]
    Unix(UnixStream),
    /// The router's side of a TLS connection.
    TlsServer(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    /// A stream whose first bytes were read already (a universal listener looks at the first
    /// byte where it cannot peek) and are read again before the rest.
    Replayed(Box<Replayed>),
}

pub struct Replayed {
    pub head: bytes::Bytes,
    pub inner: Stream,
}

impl Stream {
    /// TCP to `host:port` (every resolved address in turn), then TLS when `tls` is set.
    pub async fn tcp(
        url: &str,
        host: &str,
        port: u16,
        tls: Option<&TlsOptions>,
    ) -> Result<Stream, TransportError> {
        let connect_err = |reason: String| TransportError::Connect {
            url: url.to_string(),
            reason,
        };
        // Build the TLS settings first: a bad certificate fails before any network traffic.
        let tls_setup = match tls {
            Some(opts) => Some(tls::client_config(url, opts)?),
            None => None,
        };
        let tcp = TcpStream::connect((host, port))
            .await
            .map_err(|e| connect_err(e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        match tls_setup {
            None => Ok(Stream::Tcp(tcp)),
            Some(config) => {
                let stream = tls::handshake(url, host, config, tcp).await?;
                Ok(Stream::Tls(Box::new(stream)))
            }
        }
    }

    #[cfg(unix)]
    pub async fn unix(url: &str, path: &str) -> Result<Stream, TransportError> {
        UnixStream::connect(path)
            .await
            .map(Stream::Unix)
            .map_err(|e| TransportError::Connect {
                url: url.to_string(),
                reason: e.to_string(),
            })
    }

    #[cfg(not(unix))]
    pub async fn unix(url: &str, _path: &str) -> Result<Stream, TransportError> {
        Err(TransportError::InvalidUrl {
            url: url.to_string(),
            reason: "Unix domain sockets are not available on this platform".into(),
        })
    }
}

/// A read at least this large means the peer is in the middle of sending a large message.
const BULK_READ: usize = 8 * 1024;

impl Stream {
    /// Turns off delayed ACKs for now. Linux delays the ACK (by 40 ms or more) on a connection
    /// it sees as request/response, as WAMP's is; a peer sending a large message then stalls
    /// whenever its window or send buffer is full of unacknowledged data. With 1 MiB messages
    /// on loopback that was one stall of 40-100 ms in every other message. The flag does not
    /// stick, so it is set again after every large read (not after small ones: a syscall each).
    fn ack_promptly(&self) {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let tcp = match self {
                Stream::Tcp(s) => s,
                Stream::Tls(s) => s.get_ref().0,
                Stream::TlsServer(s) => s.get_ref().0,
                Stream::Replayed(r) => return r.inner.ack_promptly(),
                #[cfg(unix)]
                Stream::Unix(_) => return,
            };
            let _ = socket2::SockRef::from(tcp).set_tcp_quickack(true);
        }
    }
}

macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self.get_mut() {
            Stream::Tcp($s) => $e,
            Stream::Tls($s) => $e,
            Stream::TlsServer($s) => $e,
            Stream::Replayed(r) => {
                let $s = &mut r.inner;
                $e
            }
            #[cfg(unix)]
            Stream::Unix($s) => $e,
        }
    };
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = self.get_mut();
        let polled = match this {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
            Stream::TlsServer(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Replayed(r) => r.poll_read(cx, buf),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_read(cx, buf),
        };
        if buf.filled().len() - before >= BULK_READ {
            this.ack_promptly();
        }
        polled
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, s => Pin::new(s).poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => Pin::new(s).poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => Pin::new(s).poll_shutdown(cx))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, s => Pin::new(s).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Tcp(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
            Stream::TlsServer(s) => s.is_write_vectored(),
            Stream::Replayed(r) => r.inner.is_write_vectored(),
            #[cfg(unix)]
            Stream::Unix(s) => s.is_write_vectored(),
        }
    }
}

impl Replayed {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if self.head.is_empty() {
            return Pin::new(&mut self.inner).poll_read(cx, buf);
        }
        let n = self.head.len().min(buf.remaining());
        buf.put_slice(&self.head.split_to(n));
        Poll::Ready(Ok(()))
    }
}
