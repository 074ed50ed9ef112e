//! The transport floor of the benchmark (bench/run.js, scenario ws-echo): WebSocket over loopback
//! TCP with tokio-tungstenite and nothing else, no WAMP, no JavaScript, so that the clients'
//! messages per second can be read as a fraction of what the transport alone does on the machine.
//!
//!   ws-echo server
//!       listens on 127.0.0.1 (a free port), prints `listening ws://127.0.0.1:<port>`, and on every
//!       connection echoes each message that starts with `!` and drops the others
//!   ws-echo client <url> <size> <count> <window> <burst> <text|binary>
//!       sends <count> messages of <size> bytes; every <burst>-th one (and the last) starts with
//!       `!` and is echoed; at most <window> of those are outstanding. Prints one JSON line:
//!       {"messages", "echoes", "wall_s", "cpu_s"} (cpu_s: this process, all threads)
//!
//! Both ends do what this crate's transport does (src/wamp/transport/stream.rs, websocket.rs,
//! accept.rs): TCP_NODELAY, delayed ACKs turned off after every read of 8 KiB or more, a 16 KiB
//! WebSocket read buffer; so this is the transport our client and the embedded router use,
//! without WAMP. (The example cannot link the crate itself: its napi registrations need Node.)
//!
//! burst 1 is a round-trip echo (every message comes back: the rpc-throughput and large-payload
//! shape); burst 1000 with window 1 is a one-way stream paced by an echo every 1,000 messages (the
//! pubsub-throughput shape).
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line program: stdout is its output

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Bytes, Message};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const MARK: u8 = b'!';

/// TCP with delayed ACKs turned off after every large read, as src/wamp/transport/stream.rs does:
/// without it a 1 MiB echo on loopback stalls 40 ms or more in every other message.
struct Stream(TcpStream);

#[cfg(target_os = "linux")]
const BULK_READ: usize = 8 * 1024;

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        #[cfg(target_os = "linux")]
        let before = buf.filled().len();
        let this = self.get_mut();
        let polled = Pin::new(&mut this.0).poll_read(cx, buf);
        #[cfg(target_os = "linux")]
        if buf.filled().len() - before >= BULK_READ {
            let _ = socket2::SockRef::from(&this.0).set_tcp_quickack(true);
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
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .max_message_size(Some(64 << 20))
        .max_frame_size(Some(64 << 20))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("ws-echo: {err}");
            std::process::exit(1);
        }
    };
    let result = match args.first().map(String::as_str) {
        Some("server") => runtime.block_on(server()),
        Some("client") => parse_client(&args[1..]).and_then(|c| runtime.block_on(client(c))),
        _ => Err("usage: ws-echo server | ws-echo client <url> <size> <count> <window> <burst> <text|binary>".into()),
    };
    if let Err(err) = result {
        eprintln!("ws-echo: {err}");
        std::process::exit(1);
    }
}

async fn server() -> Result<(), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("listening ws://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            if let Err(err) = echo(stream).await {
                eprintln!("ws-echo server: {err}");
            }
        });
    }
}

async fn echo(stream: TcpStream) -> Result<(), BoxError> {
    stream.set_nodelay(true)?;
    let mut ws =
        tokio_tungstenite::accept_async_with_config(Stream(stream), Some(ws_config())).await?;
    while let Some(msg) = ws.next().await {
        let msg = msg?;
        let marked = match &msg {
            Message::Text(t) => t.as_bytes().first() == Some(&MARK),
            Message::Binary(b) => b.first() == Some(&MARK),
            Message::Close(_) => break,
            _ => false,
        };
        if marked {
            ws.send(msg).await?;
        }
    }
    Ok(())
}

struct ClientConfig {
    url: String,
    size: usize,
    count: u64,
    window: u64,
    burst: u64,
    binary: bool,
}

fn parse_client(args: &[String]) -> Result<ClientConfig, BoxError> {
    let [url, size, count, window, burst, kind] = args else {
        return Err("client: expected <url> <size> <count> <window> <burst> <text|binary>".into());
    };
    let config = ClientConfig {
        url: url.clone(),
        size: size.parse()?,
        count: count.parse()?,
        window: window.parse()?,
        burst: burst.parse()?,
        binary: match kind.as_str() {
            "text" => false,
            "binary" => true,
            other => return Err(format!("client: {other}: expected text or binary").into()),
        },
    };
    if config.size == 0 || config.count == 0 || config.window == 0 || config.burst == 0 {
        return Err("client: size, count, window and burst must be positive".into());
    }
    Ok(config)
}

async fn client(c: ClientConfig) -> Result<(), BoxError> {
    let addr = c
        .url
        .strip_prefix("ws://")
        .ok_or("client: expected a ws:// URL")?;
    let addr = addr.split('/').next().unwrap_or(addr);
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let (mut ws, _) =
        tokio_tungstenite::client_async_with_config(c.url.as_str(), Stream(tcp), Some(ws_config()))
            .await?;
    // printable ASCII (valid as text), not one repeated character
    let body: Vec<u8> = (0..c.size)
        .map(|i| b"abcdefghijklmnopqrstuvwxyz0123456789"[(i * 7919 + 13) % 36])
        .collect();
    let mut marked = body.clone();
    marked[0] = MARK;
    let make = |echo: bool| -> Result<Message, BoxError> {
        let bytes = Bytes::from(if echo { marked.clone() } else { body.clone() });
        Ok(if c.binary {
            Message::Binary(bytes)
        } else {
            Message::Text(bytes.try_into()?)
        })
    };
    let cpu0 = process_cpu_s();
    let t0 = Instant::now();
    let (mut sent, mut outstanding, mut echoes) = (0u64, 0u64, 0u64);
    while echoes < c.count.div_ceil(c.burst) {
        // send up to the next echo request while fewer than `window` are outstanding
        while sent < c.count && outstanding < c.window {
            sent += 1;
            let echo = sent % c.burst == 0 || sent == c.count;
            ws.feed(make(echo)?).await?;
            if echo {
                outstanding += 1;
            }
        }
        ws.flush().await?;
        match ws.next().await {
            Some(Ok(Message::Text(_) | Message::Binary(_))) => {
                echoes += 1;
                outstanding -= 1;
            }
            Some(Ok(_)) => {}
            Some(Err(err)) => return Err(err.into()),
            None => return Err("client: the server closed the connection".into()),
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = process_cpu_s() - cpu0;
    println!("{{\"messages\":{sent},\"echoes\":{echoes},\"wall_s\":{wall},\"cpu_s\":{cpu}}}");
    ws.close(None).await.ok();
    Ok(())
}

/// CPU seconds of this process, all threads (time on CPU from /proc/self/task/*/schedstat, in
/// nanoseconds); 0 where there is no /proc.
fn process_cpu_s() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let mut ns = 0u64;
    for task in tasks.flatten() {
        if let Ok(s) = std::fs::read_to_string(task.path().join("schedstat")) {
            ns += s
                .split(' ')
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    ns as f64 / 1e9
}
