//! WAMP over RawSocket (TCP, TLS or a Unix domain socket).
//!
//! Handshake: the client sends `7F LLLL_SSSS 00 00` (it accepts messages up to 2^(9+L) bytes,
//! serializer S); the router echoes the serializer with its own limit, or answers
//! `7F EEEE_0000 00 00` with an error code, or (Crossbar, Autobahn|Python) simply closes the
//! socket. We ask for one serializer per connection and try the next one of `protocols` when
//! the router refuses the serializer or closes during the handshake.
//!
//! Frames: `RRRR XTTT` + 24-bit length, then the payload. R must be 0, X is the 25th length bit,
//! TTT is 0 (WAMP message), 1 (PING) or 2 (PONG). Crossbar writes a plain 32-bit length, which
//! is the same thing for every message below 16 MiB (upper byte 0 = type 0). PINGs from the
//! router are answered with a PONG echoing the payload; we never send PINGs (Crossbar would
//! read one as a huge length).

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures_util::{Sink, SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::codec::{Decoder, Encoder, Framed};

use super::stream::Stream;
use super::{Frame, Received};
use crate::wamp::error::TransportError;
use crate::wamp::transport::config::TransportConfig;

pub const MAGIC: u8 = 0x7F;
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Frame types (TTT).
pub const WAMP: u8 = 0;
pub const PING: u8 = 1;
pub const PONG: u8 = 2;

/// The RawSocket serializer id of a WAMP subprotocol name.
pub fn serializer_id(protocol: &str) -> Option<u8> {
    match protocol.strip_prefix("wamp.2.").unwrap_or(protocol) {
        "json" => Some(1),
        "msgpack" => Some(2),
        "cbor" => Some(3),
        _ => None,
    }
}

/// The length exponents a handshake can announce: messages of 2^9 up to 2^24 bytes.
pub const MIN_LEN_EXP: u8 = 9;
pub const MAX_LEN_EXP: u8 = 24;

/// Largest message size for a length exponent: 2^(9 + L), L = exp - 9.
pub fn max_len(exp: u8) -> usize {
    1usize << exp.clamp(MIN_LEN_EXP, MAX_LEN_EXP)
}

/// The client's opening handshake. `max_len_exp` is 9..=24 (2^exp bytes).
pub fn client_hello(serializer: u8, max_len_exp: u8) -> [u8; 4] {
    let l = max_len_exp.clamp(MIN_LEN_EXP, MAX_LEN_EXP) - MIN_LEN_EXP;
    [MAGIC, (l << 4) | (serializer & 0x0F), 0, 0]
}

#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// The router accepted; it receives messages up to `max_len` bytes.
    Accepted { max_len: usize },
    /// The router refused with this error code.
    Refused(u8),
}

/// Parses the router's handshake reply to our request for `serializer`.
pub fn parse_reply(reply: [u8; 4], serializer: u8) -> Result<Reply, String> {
    if reply[0] != MAGIC {
        return Err(format!(
            "the peer is not a WAMP RawSocket router (its first byte is 0x{:02X}, not 0x7F)",
            reply[0]
        ));
    }
    let high = reply[1] >> 4;
    let low = reply[1] & 0x0F;
    if low == 0 {
        return Ok(Reply::Refused(high));
    }
    if low != serializer {
        return Err(format!(
            "the router answered with serializer {low}, but we asked for {serializer}"
        ));
    }
    Ok(Reply::Accepted {
        max_len: 1usize << (9 + high),
    })
}

/// The text for a router's handshake error code.
pub fn refusal_text(code: u8) -> String {
    match code {
        1 => "the router does not support the requested serializer (error 1)".into(),
        2 => "the router does not accept our maximum message length (error 2; see rawsocket_max_len_exp)".into(),
        3 => "the router says we used reserved bits (error 3)".into(),
        4 => "the router has reached its connection limit (error 4)".into(),
        c => format!("the router refused the connection with error code {c}"),
    }
}

/// One RawSocket frame.
#[derive(Debug, PartialEq, Eq)]
pub struct RawFrame {
    pub kind: u8,
    pub payload: Bytes,
}

/// Length-prefixed framing. Decoding rejects frames over `max_recv`, reserved bits and unknown
/// types; encoding writes the 24-bit length (+ X bit).
pub struct RawSocketCodec {
    pub max_recv: usize,
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

impl Decoder for RawSocketCodec {
    type Item = RawFrame;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<RawFrame>> {
        if src.len() < 4 {
            return Ok(None);
        }
        let b0 = src[0];
        if b0 >> 4 != 0 {
            return Err(invalid(format!(
                "the router sent a frame header with reserved bits set (0x{b0:02X})"
            )));
        }
        let kind = b0 & 0x07;
        if kind > PONG {
            return Err(invalid(format!(
                "the router sent an unknown frame type {kind}"
            )));
        }
        let len = (((b0 & 0x08) as usize) << 21)
            | ((src[1] as usize) << 16)
            | ((src[2] as usize) << 8)
            | src[3] as usize;
        if len > self.max_recv {
            return Err(invalid(format!(
                "the router sent a message of {len} bytes, over our limit of {} bytes (rawsocket_max_len_exp)",
                self.max_recv
            )));
        }
        if src.len() < 4 + len {
            src.reserve(4 + len - src.len());
            return Ok(None);
        }
        src.advance(4);
        let payload = src.split_to(len).freeze();
        Ok(Some(RawFrame { kind, payload }))
    }
}

impl Encoder<RawFrame> for RawSocketCodec {
    type Error = io::Error;

    fn encode(&mut self, frame: RawFrame, dst: &mut BytesMut) -> io::Result<()> {
        let len = frame.payload.len();
        if len > 1 << 24 {
            return Err(invalid(format!(
                "a RawSocket frame cannot carry {len} bytes"
            )));
        }
        let x = if len == 1 << 24 { 0x08 } else { 0 };
        dst.reserve(4 + len);
        dst.put_u8(x | (frame.kind & 0x07));
        dst.put_u8((len >> 16) as u8);
        dst.put_u8((len >> 8) as u8);
        dst.put_u8(len as u8);
        dst.extend_from_slice(&frame.payload);
        Ok(())
    }
}

pub struct RawSocket {
    framed: Framed<Stream, RawSocketCodec>,
    /// The router's limit from the handshake, lowered by `max_message_size`.
    max_send: usize,
    /// Whether `max_send` comes from `max_message_size` (for the error text).
    limit_is_ours: bool,
    /// A PONG to send before reading on.
    pending_pong: Option<Bytes>,
}

impl RawSocket {
    pub async fn connect(cfg: &TransportConfig) -> Result<(RawSocket, String), TransportError> {
        let url = cfg.url.as_str();
        let handshake_err = |reason: String| TransportError::Handshake {
            url: url.to_string(),
            reason,
        };
        let exp = cfg.max_len_exp.clamp(MIN_LEN_EXP, MAX_LEN_EXP);
        let candidates: Vec<(&String, u8)> = cfg
            .protocols
            .iter()
            .filter_map(|p| serializer_id(p).map(|id| (p, id)))
            .collect();
        if candidates.is_empty() {
            return Err(TransportError::InvalidConfig {
                url: url.to_string(),
                reason: format!(
                    "none of the serializers {:?} is available over RawSocket",
                    cfg.protocols
                ),
            });
        }
        let mut refusals = Vec::new();
        for (protocol, id) in candidates {
            let mut stream = open_stream(cfg).await?;
            let io_err = |e: io::Error| TransportError::Connect {
                url: url.to_string(),
                reason: e.to_string(),
            };
            stream
                .write_all(&client_hello(id, exp))
                .await
                .map_err(io_err)?;
            stream.flush().await.map_err(io_err)?;
            let mut reply = [0u8; 4];
            match stream.read_exact(&mut reply).await {
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
                    ) =>
                {
                    // Crossbar closes the socket instead of answering error 1.
                    refusals.push(format!(
                        "the router closed the connection during the handshake for {protocol} \
                         (is RawSocket with this serializer enabled on this endpoint?)"
                    ));
                    continue;
                }
                Err(e) => return Err(io_err(e)),
            }
            match parse_reply(reply, id).map_err(handshake_err)? {
                Reply::Accepted { max_len } => {
                    let (max_send, limit_is_ours) = match cfg.max_message_size {
                        Some(m) if m < max_len => (m, true),
                        _ => (max_len, false),
                    };
                    let framed = Framed::new(
                        stream,
                        RawSocketCodec {
                            max_recv: self::max_len(exp),
                        },
                    );
                    let socket = RawSocket {
                        framed,
                        max_send,
                        limit_is_ours,
                        pending_pong: None,
                    };
                    return Ok((socket, protocol.clone()));
                }
                Reply::Refused(1) => {
                    refusals.push(format!("{protocol}: {}", refusal_text(1)));
                    continue;
                }
                Reply::Refused(code) => return Err(handshake_err(refusal_text(code))),
            }
        }
        Err(handshake_err(refusals.join("; ")))
    }

    /// The router's side after `accept::rawsocket` answered the handshake: frames up to
    /// `max_recv` are read, up to `max_send` (the client's limit) written.
    pub(crate) fn accepted(stream: Stream, max_recv: usize, max_send: usize) -> RawSocket {
        RawSocket {
            framed: Framed::new(stream, RawSocketCodec { max_recv }),
            max_send,
            limit_is_ours: false,
            pending_pong: None,
        }
    }

    pub async fn recv(&mut self) -> Received {
        loop {
            if let Err(e) = self.send_pending_pong().await {
                return closed_by_error(e);
            }
            return match self.framed.next().await {
                Some(Ok(RawFrame {
                    kind: WAMP,
                    payload,
                })) => Received::Frame(Frame::Binary(payload)),
                Some(Ok(RawFrame {
                    kind: PING,
                    payload,
                })) => {
                    self.pending_pong = Some(payload);
                    continue;
                }
                Some(Ok(_)) => continue, // PONG: we never ping, ignore.
                Some(Err(e)) => closed_by_error(e),
                None => Received::Closed {
                    // RawSocket has no closing handshake: the router closing while the
                    // session is open means the session is lost.
                    clean: false,
                    note: Some("the router closed the RawSocket connection".into()),
                },
            };
        }
    }

    /// Sends a queued PONG. Cancel-safe: the PONG stays queued until the codec has it, and
    /// the codec's write buffer keeps what a cancelled flush did not write.
    async fn send_pending_pong(&mut self) -> io::Result<()> {
        if self.pending_pong.is_none() {
            return Ok(());
        }
        poll_fn(|cx| Pin::new(&mut self.framed).poll_ready(cx)).await?;
        if let Some(payload) = self.pending_pong.take() {
            Pin::new(&mut self.framed).start_send(RawFrame {
                kind: PONG,
                payload,
            })?;
        }
        self.framed.flush().await
    }

    /// The largest frame we may send, with the text that explains the limit.
    pub fn send_limit(&self) -> Option<(usize, String)> {
        let note = if self.limit_is_ours {
            format!("max_message_size is {} bytes", self.max_send)
        } else {
            format!(
                "the router accepts at most {} bytes per message over RawSocket (from its handshake)",
                self.max_send
            )
        };
        Some((self.max_send, note))
    }

    pub async fn feed(&mut self, frame: Frame) -> Result<(), TransportError> {
        let payload: Bytes = match frame {
            Frame::Text(t) => t.into(),
            Frame::Binary(b) => b,
        };
        if payload.len() > self.max_send {
            let limit_note = self.send_limit().map(|(_, note)| note).unwrap_or_default();
            return Err(TransportError::TooLarge {
                size: payload.len(),
                limit_note,
            });
        }
        self.framed
            .feed(RawFrame {
                kind: WAMP,
                payload,
            })
            .await
            .map_err(|e| TransportError::RawSocket(e.to_string()))
    }

    pub async fn flush(&mut self) -> Result<(), TransportError> {
        SinkExt::flush(&mut self.framed)
            .await
            .map_err(|e| TransportError::RawSocket(e.to_string()))
    }

    /// RawSocket has no closing handshake: flush, shut our side down and wait (bounded) for
    /// the router's end of stream.
    pub async fn close(&mut self) {
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
            let _ = SinkExt::flush(&mut self.framed).await;
            let _ = self.framed.get_mut().shutdown().await;
            while let Some(Ok(_)) = self.framed.next().await {}
        })
        .await;
    }

    pub async fn finish_close(&mut self) {
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.framed.get_mut().shutdown()).await;
    }
}

fn closed_by_error(e: io::Error) -> Received {
    Received::Closed {
        clean: false,
        note: Some(format!("RawSocket error: {e}")),
    }
}

async fn open_stream(cfg: &TransportConfig) -> Result<Stream, TransportError> {
    if let Some(path) = &cfg.path {
        return Stream::unix(&cfg.url, path).await;
    }
    let (Some(host), Some(port)) = (&cfg.host, cfg.port) else {
        return Err(TransportError::InvalidConfig {
            url: cfg.url.clone(),
            reason: "a RawSocket transport needs `path`, or `host` and `port`".into(),
        });
    };
    let tls = cfg.tls.then_some(&cfg.tls_options);
    Stream::tcp(&cfg.url, host, port, tls).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_bytes() {
        assert_eq!(client_hello(1, 24), [0x7F, 0xF1, 0, 0]);
        assert_eq!(client_hello(2, 9), [0x7F, 0x02, 0, 0]);
        assert_eq!(client_hello(3, 16), [0x7F, 0x73, 0, 0]);
        // Out-of-range exponents are clamped.
        assert_eq!(client_hello(1, 30), [0x7F, 0xF1, 0, 0]);
    }

    #[test]
    fn serializer_ids() {
        assert_eq!(serializer_id("wamp.2.json"), Some(1));
        assert_eq!(serializer_id("wamp.2.msgpack"), Some(2));
        assert_eq!(serializer_id("cbor"), Some(3));
        assert_eq!(serializer_id("wamp.2.ubjson"), None);
    }

    #[test]
    fn reply_parsing() {
        assert_eq!(
            parse_reply([0x7F, 0xF1, 0, 0], 1),
            Ok(Reply::Accepted { max_len: 1 << 24 })
        );
        assert_eq!(
            parse_reply([0x7F, 0x12, 0, 0], 2),
            Ok(Reply::Accepted { max_len: 1024 })
        );
        for code in 1..=4 {
            assert_eq!(
                parse_reply([0x7F, code << 4, 0, 0], 1),
                Ok(Reply::Refused(code))
            );
        }
        let err = parse_reply([0x7F, 0xF2, 0, 0], 1).unwrap_err();
        assert!(err.contains("serializer 2"), "{err}");
        let err = parse_reply(*b"HTTP", 1).unwrap_err();
        assert!(err.contains("not a WAMP RawSocket router"), "{err}");
        assert!(refusal_text(2).contains("rawsocket_max_len_exp"));
        assert!(refusal_text(4).contains("connection limit"));
    }

    fn codec() -> RawSocketCodec {
        RawSocketCodec { max_recv: 1 << 24 }
    }

    #[test]
    fn decodes_frames_across_partial_reads() {
        let mut c = codec();
        let mut buf = BytesMut::from(&[0u8, 0, 0, 5, b'h', b'e'][..]);
        assert_eq!(c.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"llo\x01\x00\x00\x02hi\x02\x00\x00\x00");
        let f = c.decode(&mut buf).unwrap().unwrap();
        assert_eq!((f.kind, &f.payload[..]), (WAMP, &b"hello"[..]));
        let f = c.decode(&mut buf).unwrap().unwrap();
        assert_eq!((f.kind, &f.payload[..]), (PING, &b"hi"[..]));
        let f = c.decode(&mut buf).unwrap().unwrap();
        assert_eq!((f.kind, f.payload.len()), (PONG, 0));
        assert_eq!(c.decode(&mut buf).unwrap(), None);
    }

    #[test]
    fn crossbar_32_bit_length_prefix_is_a_type_0_frame() {
        // Crossbar writes struct.pack("!I", len): the upper byte is 0 below 16 MiB.
        let mut c = codec();
        let len: u32 = 70_000;
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&len.to_be_bytes());
        buf.extend_from_slice(&vec![b'x'; len as usize]);
        let f = c.decode(&mut buf).unwrap().unwrap();
        assert_eq!((f.kind, f.payload.len()), (WAMP, 70_000));
    }

    #[test]
    fn rejects_bad_headers_and_oversize_frames() {
        let mut c = RawSocketCodec { max_recv: 1024 };
        let err = c
            .decode(&mut BytesMut::from(&[0x10u8, 0, 0, 1, 0][..]))
            .unwrap_err();
        assert!(err.to_string().contains("reserved bits"), "{err}");
        let err = c
            .decode(&mut BytesMut::from(&[0x03u8, 0, 0, 0][..]))
            .unwrap_err();
        assert!(err.to_string().contains("unknown frame type 3"), "{err}");
        let err = c
            .decode(&mut BytesMut::from(&[0x00u8, 0, 4, 1][..]))
            .unwrap_err();
        assert!(err.to_string().contains("1025 bytes"), "{err}");
    }

    #[test]
    fn encodes_24_bit_length_and_the_x_bit() {
        let mut c = codec();
        let mut dst = BytesMut::new();
        c.encode(
            RawFrame {
                kind: WAMP,
                payload: Bytes::from_static(b"[1]"),
            },
            &mut dst,
        )
        .unwrap();
        assert_eq!(&dst[..], b"\x00\x00\x00\x03[1]");
        let mut dst = BytesMut::new();
        c.encode(
            RawFrame {
                kind: WAMP,
                payload: Bytes::from(vec![0u8; 1 << 24]),
            },
            &mut dst,
        )
        .unwrap();
        assert_eq!(&dst[..4], &[0x08, 0, 0, 0]);
        let mut back = codec();
        let f = back.decode(&mut dst).unwrap().unwrap();
        assert_eq!(f.payload.len(), 1 << 24);
        let mut dst = BytesMut::new();
        c.encode(
            RawFrame {
                kind: PONG,
                payload: Bytes::from_static(b"ab"),
            },
            &mut dst,
        )
        .unwrap();
        assert_eq!(&dst[..], b"\x02\x00\x00\x02ab");
    }
}
