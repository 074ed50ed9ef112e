//! Deterministic fuzzing of everything a router's bytes pass through before JavaScript: the
//! RawSocket and WebSocket framing, the three decoders, and the client session core. Inputs are
//! mutations of valid WAMP messages (bit flips, truncation, splices, swapped element types, huge
//! lengths, deep nesting) from a fixed seed, so a failure reproduces. Nothing may panic.
//!
//! `cargo test` runs `FRAMES_IN_CARGO_TEST` frames; `npm run fuzz` runs the ignored
//! `fuzz_long_run` in release with `FUZZ_FRAMES` frames (default 10^7) and `FUZZ_SEED`.

use std::io::{self, Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use bytes::BytesMut;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocket};
use tokio_util::codec::Decoder;

use crate::client::session::{Output, SessionCore};
use crate::wamp::codec::{Codec, Outgoing};
use crate::wamp::transport::rawsocket::RawSocketCodec;
use crate::wamp::transport::Frame;

const FRAMES_IN_CARGO_TEST: u64 = 100_000;
const DEFAULT_SEED: u64 = 0x5741_4d50;

/// Valid messages a router may send a client, with the ids the session below expects.
const SEEDS: &[&str] = &[
    r#"[2,9129137332,{"authid":"a","authrole":"r","roles":{"broker":{},"dealer":{}}}]"#,
    r#"[3,{"message":"no"},"wamp.error.no_such_realm"]"#,
    r#"[4,"wampcra",{"challenge":"{\"nonce\":1}","salt":"s","iterations":10,"keylen":32}]"#,
    r#"[6,{"message":"bye"},"wamp.close.system_shutdown"]"#,
    r#"[8,48,1,{},"wamp.error.no_such_procedure",["a",{"b":[1,2.5,null]}],{"k":"\u0000AAEC"}]"#,
    r#"[8,32,2,{},"wamp.error.not_authorized"]"#,
    r#"[17,3,4503599627370496]"#,
    r#"[33,2,5]"#,
    r#"[35,4]"#,
    r#"[35,0,{"subscription":7,"reason":"wamp.error.x"}]"#,
    r#"[36,7,9007199254740992,{"publisher":1},[1,"two",{"three":[3]}],{"\u0001":"\u000112345678901234567890"}]"#,
    r#"[50,1,{"progress":true},[1]]"#,
    r#"[50,6,{},[],{"x":true}]"#,
    r#"[65,5,8]"#,
    r#"[67,0,{"registration":9,"reason":"wamp.error.x"}]"#,
    r#"[68,11,9,{"receive_progress":true},["in"]]"#,
    r#"[68,12,9,{"progress":true},["more"]]"#,
    r#"[69,11,{"mode":"kill"}]"#,
];

/// Values that swap in for an element: wrong types, edge ids, huge numbers.
const SWAPS: &[&str] = &[
    "0",
    "-1",
    "1.5",
    "1e400",
    "9007199254740993",
    "18446744073709551616",
    "null",
    "true",
    "\"x\"",
    "\"\\u0000AA\"",
    "\"\\u0001999999999999999999999999\"",
    "[]",
    "{}",
    "[[[[[[[[]]]]]]]]",
    "{\"progress\":\"yes\",\"subscription\":-1,\"message\":7}",
];

/// A session with requests of every kind pending, a subscription, a registration and a
/// streaming invocation: most replies in `SEEDS` find what they answer.
fn busy_session(established: bool) -> (SessionCore, Output) {
    let mut out = Output::default();
    let mut s = SessionCore::start(1, "realm1", "{}", &mut out);
    if established {
        s.on_message(SEEDS[0], &mut out);
        for cmd in [
            r#"[48,100,{"receive_progress":true},"p"]"#,
            r#"[32,101,{},"t"]"#,
            r#"[16,102,{"acknowledge":true},"t"]"#,
            r#"[34,103,7]"#,
            r#"[64,104,{},"p"]"#,
            r#"[48,105,{},"p"]"#,
            r#"[32,106,{},"t2"]"#,
            r#"[64,107,{},"p2"]"#,
            r#"[66,108,9]"#,
        ] {
            let _ = s.on_command(cmd, &mut out);
        }
        for ack in [r#"[33,7,7]"#, r#"[65,8,9]"#] {
            // Requests 7 and 8 (subscribe "t2", register "p2") make 7 and 9 live.
            s.on_message(ack, &mut out);
        }
    }
    (s, out)
}

/// `bytes` inserted at `at` (plain copies: the test runs unoptimized).
fn insert_at(b: &mut Vec<u8>, at: usize, bytes: &[u8]) {
    let tail = b.split_off(at);
    b.extend_from_slice(bytes);
    b.extend_from_slice(&tail);
}

fn mutate(rng: &mut StdRng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    let rounds = rng.random_range(1..=3);
    for _ in 0..rounds {
        match rng.random_range(0..9) {
            0 | 1 if !b.is_empty() => {
                for _ in 0..rng.random_range(1..=4) {
                    let i = rng.random_range(0..b.len());
                    b[i] ^= 1 << rng.random_range(0..8);
                }
            }
            2 if !b.is_empty() => {
                let at = rng.random_range(0..b.len());
                b.truncate(at);
            }
            3 if !b.is_empty() => {
                // A random byte (often a type or length marker) somewhere.
                let i = rng.random_range(0..b.len());
                b[i] = rng.random();
            }
            4 if !b.is_empty() => {
                // Duplicate or drop a slice.
                let i = rng.random_range(0..b.len());
                let j = rng.random_range(i..=b.len().min(i + 16));
                if rng.random() {
                    let chunk = b[i..j].to_vec();
                    insert_at(&mut b, i, &chunk);
                } else {
                    b.drain(i..j);
                }
            }
            5 => {
                // Huge lengths: MessagePack str32/array32/map32, CBOR 8-byte lengths.
                const HUGE: &[&[u8]] = &[
                    &[0xdb, 0xff, 0xff, 0xff, 0xff],
                    &[0xdd, 0xff, 0xff, 0xff, 0xf0],
                    &[0xdf, 0x7f, 0xff, 0xff, 0xff],
                    &[0xc6, 0xff, 0xff, 0xff, 0xff],
                    &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                    &[0x5b, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00],
                    &[0xbb, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                ];
                let at = rng.random_range(0..=b.len());
                let huge = HUGE[rng.random_range(0..HUGE.len())];
                insert_at(&mut b, at, huge);
            }
            6 => {
                // Deep nesting at a random place (lists in JSON, MessagePack and CBOR).
                let depth = rng.random_range(100..5000);
                let open: &[u8] = match rng.random_range(0..4) {
                    0 => b"[",
                    1 => b"{\"a\":",
                    2 => &[0x91],
                    _ => &[0x81],
                };
                let at = rng.random_range(0..=b.len());
                let mut nest = Vec::with_capacity(open.len() * depth);
                for _ in 0..depth {
                    nest.extend_from_slice(open);
                }
                insert_at(&mut b, at, &nest);
            }
            7 => {
                // Splice in the tail of another message.
                let other = SEEDS[rng.random_range(0..SEEDS.len())].as_bytes();
                let from = rng.random_range(0..other.len());
                let at = rng.random_range(0..=b.len());
                b.truncate(at);
                b.extend_from_slice(&other[from..]);
            }
            _ => {}
        }
    }
    b
}

/// Swaps one top-level element of a JSON message for a value of another type.
fn swap_element(rng: &mut StdRng, seed: &str) -> String {
    let Ok(items) = serde_json::from_str::<Vec<&serde_json::value::RawValue>>(seed) else {
        return seed.to_string();
    };
    let i = rng.random_range(0..items.len());
    let swap = SWAPS[rng.random_range(0..SWAPS.len())];
    let parts: Vec<&str> = items
        .iter()
        .enumerate()
        .map(|(k, v)| if k == i { swap } else { v.get() })
        .collect();
    format!("[{}]", parts.join(","))
}

/// One input for the decoders, in `codec`'s wire format.
fn input(rng: &mut StdRng, codec: Codec) -> Frame {
    let seed = SEEDS[rng.random_range(0..SEEDS.len())];
    let json = if rng.random_range(0..4) == 0 {
        swap_element(rng, seed)
    } else {
        seed.to_string()
    };
    let wire = match codec.encode(json.clone(), &mut Outgoing::new()) {
        Ok(Frame::Binary(b)) => b.to_vec(),
        Ok(Frame::Text(t)) => t.into_bytes(),
        Err(_) => json.into_bytes(),
    };
    let bytes = if rng.random_range(0..8) == 0 {
        wire
    } else {
        mutate(rng, &wire)
    };
    match (codec, String::from_utf8(bytes)) {
        (Codec::Json, Ok(text)) => Frame::Text(text),
        (_, Ok(text)) => Frame::Binary(text.into_bytes().into()),
        (_, Err(e)) => Frame::Binary(e.into_bytes().into()),
    }
}

/// Decodes one frame and hands the text to a session.
fn decode_and_feed(rng: &mut StdRng, codec: Codec, frame: Frame, sessions: &Sessions) {
    let mut attachments = Vec::new();
    let with = rng.random::<bool>();
    let decoded = codec.decode(frame, with.then_some(&mut attachments));
    let (mut session, mut out) = if rng.random_range(0..5) == 0 {
        sessions.establishing.clone()
    } else {
        sessions.established.clone()
    };
    match decoded {
        Ok(text) => {
            session.on_message(&text, &mut out);
            // A further message after whatever the first did (a reply, an end).
            let next = SEEDS[rng.random_range(0..SEEDS.len())];
            session.on_message(next, &mut out);
        }
        Err(e) => session.violate(&e.to_string(), &mut out),
    }
}

/// RawSocket framing: a stream of frames (some corrupt) cut into random chunks.
fn rawsocket_stream(rng: &mut StdRng) {
    let mut stream = Vec::new();
    for _ in 0..rng.random_range(1..4) {
        let payload = SEEDS[rng.random_range(0..SEEDS.len())].as_bytes();
        let len = payload.len();
        stream.extend_from_slice(&[0, (len >> 16) as u8, (len >> 8) as u8, len as u8]);
        stream.extend_from_slice(payload);
    }
    let stream = mutate(rng, &stream);
    let mut codec = RawSocketCodec {
        max_recv: 1 << rng.random_range(9..=24),
    };
    let mut buf = BytesMut::new();
    let mut at = 0;
    while at < stream.len() {
        let n = rng.random_range(1..=64).min(stream.len() - at);
        buf.extend_from_slice(&stream[at..at + n]);
        at += n;
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
}

/// Bytes in, writes discarded: a WebSocket's socket without I/O.
struct Replay {
    input: io::Cursor<Vec<u8>>,
}

impl Read for Replay {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.input.read(buf)? {
            // The end of the input: like a socket with nothing more to read.
            0 => Err(io::ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }
}

impl Write for Replay {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// WebSocket framing (tungstenite's reader, as the client uses it): frames as a server sends
/// them, mutated.
fn websocket_stream(rng: &mut StdRng) {
    let mut stream = Vec::new();
    for _ in 0..rng.random_range(1..4) {
        let payload = SEEDS[rng.random_range(0..SEEDS.len())].as_bytes();
        let opcode = [0x81u8, 0x82, 0x89, 0x8a, 0x01, 0x80][rng.random_range(0..6)];
        stream.push(opcode);
        if payload.len() < 126 {
            stream.push(payload.len() as u8);
        } else {
            stream.push(126);
            stream.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        }
        stream.extend_from_slice(payload);
    }
    let stream = mutate(rng, &stream);
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .max_message_size(Some(1 << 20))
        .max_frame_size(Some(1 << 20));
    let mut ws = WebSocket::from_raw_socket(
        Replay {
            input: io::Cursor::new(stream),
        },
        Role::Client,
        Some(config),
    );
    for _ in 0..16 {
        if ws.read().is_err() {
            return;
        }
    }
}

/// The sessions each input starts from (copies, so that setting one up is not the cost).
struct Sessions {
    establishing: (SessionCore, Output),
    established: (SessionCore, Output),
}

/// The input that took longest (a hang shows here, or as a run that never ends).
#[derive(Default)]
struct Slowest {
    index: u64,
    took: std::time::Duration,
}

/// Runs `frames` inputs from `seed`; on a panic, says which input (seed and index) it was.
fn run(seed: u64, frames: u64) -> Result<Slowest, String> {
    const CODECS: [Codec; 3] = [Codec::Json, Codec::MsgPack, Codec::Cbor];
    let sessions = Sessions {
        establishing: busy_session(false),
        established: busy_session(true),
    };
    let mut slowest = Slowest::default();
    for index in 0..frames {
        // Each input has its own generator, so one can be replayed alone.
        let mut rng = StdRng::seed_from_u64(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| match rng.random_range(0..8) {
            0 => rawsocket_stream(&mut rng),
            1 => websocket_stream(&mut rng),
            _ => {
                let codec = CODECS[rng.random_range(0..CODECS.len())];
                let frame = input(&mut rng, codec);
                decode_and_feed(&mut rng, codec, frame, &sessions);
            }
        }));
        if outcome.is_err() {
            return Err(format!("panic on input {index} of seed {seed:#x}"));
        }
        let took = started.elapsed();
        if took > slowest.took {
            slowest = Slowest { index, took };
        }
    }
    Ok(slowest)
}

#[test]
fn fuzz_decoders_and_session_core() {
    run(DEFAULT_SEED, FRAMES_IN_CARGO_TEST).unwrap();
}

/// `npm run fuzz`: FUZZ_FRAMES (default 10^7) inputs from FUZZ_SEED, with the rate and the
/// slowest input.
#[test]
#[ignore = "long: run with `npm run fuzz`"]
#[allow(clippy::print_stdout)]
fn fuzz_long_run() {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let frames = env("FUZZ_FRAMES", 10_000_000);
    let seed = env("FUZZ_SEED", DEFAULT_SEED);
    let started = Instant::now();
    let result = run(seed, frames);
    let secs = started.elapsed().as_secs_f64();
    let outcome = match &result {
        Ok(slowest) => format!(
            "no panic; slowest input {} took {:.1} ms",
            slowest.index,
            slowest.took.as_secs_f64() * 1000.0
        ),
        Err(e) => e.clone(),
    };
    println!(
        "fuzz: {frames} frames from seed {seed:#x} in {secs:.1} s ({:.0} frames/s): {outcome}",
        frames as f64 / secs
    );
    result.unwrap();
}
