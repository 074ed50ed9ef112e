"""Autobahn|Python (asyncio) interop peer for __test__/interop-python.test.js.

Usage: python peer.py [URL [REALM]]   (defaults: $WAMP_URL, $WAMP_REALM or realm1)

Joins the realm with the JSON serializer ($PEER_SERIALIZER: json, msgpack or cbor), registers
the com.interop.py.* procedures ($PEER_PREFIX replaces com.interop.py),
subscribes to com.interop.py.topic, then prints one JSON line {"type": "ready", "session": ID}.

Then it reads commands as JSON lines on stdin, each with an "id", and answers with JSON lines
on stdout carrying the same "id":
  {"id": 1, "cmd": "publish", "topic": T, "args": [...], "kwargs": {...}, "options": {...}}
      -> {"id": 1, "type": "reply", "ok": true, "result": PUBLICATION_ID}
      (options are PublishOptions keywords, e.g. eligible / exclude / acknowledge)
  {"id": 2, "cmd": "call", "procedure": P, "args": [...], "kwargs": {...}, "progress": true}
      -> {"id": 2, "type": "progress", "args": [...], "kwargs": {...}}   (one per progressive result)
      -> {"id": 2, "type": "reply", "ok": true, "result": VALUE}
Failures answer {"id": N, "type": "reply", "ok": false, "error": URI, "args": [...], "kwargs": {...}}.

Events on com.interop.py.topic are printed as
  {"type": "event", "topic": T, "args": [...], "kwargs": {...}, "publisher": ID_OR_NULL}.

Bytes in printed values are written as {"$bytes": BASE64}, and {"$bytes": BASE64} objects in
commands are decoded to bytes. The peer leaves the realm and exits
when stdin is closed or on SIGTERM/SIGINT.
"""

import asyncio
import hashlib
import json
import os
import signal
import sys

import txaio
from autobahn.asyncio.wamp import ApplicationRunner, ApplicationSession
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.serializer import CBORSerializer, JsonSerializer, MsgPackSerializer
from autobahn.wamp.types import (
    CallOptions,
    CallResult,
    PublishOptions,
    RegisterOptions,
    SubscribeOptions,
)

from jsonlines import emit, from_plain

URL = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("WAMP_URL")
# PEER_SERIALIZER (json | msgpack | cbor) and PEER_PREFIX (URI prefix of everything the peer
# registers and subscribes) let several peers share one router.
SERIALIZER = os.environ.get("PEER_SERIALIZER", "json")
PREFIX = os.environ.get("PEER_PREFIX", "com.interop.py")
REALM = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("WAMP_REALM", "realm1")
if not URL:
    sys.exit("usage: peer.py URL [REALM] (or set WAMP_URL)")




def require_bytes(*values):
    for v in values:
        if not isinstance(v, bytes):
            raise ApplicationError(
                "com.interop.error.not_bytes", f"expected bytes, got {type(v).__name__}"
            )


class Peer(ApplicationSession):
    async def onJoin(self, details):
        # --- RPC: plain values
        await self.register(lambda a, b: a + b, PREFIX + ".add2")
        await self.register(lambda *a, **kw: CallResult(*a, **kw), PREFIX + ".echo")
        await self.register(lambda x: type(x).__name__, PREFIX + ".typeof")

        def fail(*args, **kwargs):
            raise ApplicationError("com.interop.error", "x", code=3)

        await self.register(fail, PREFIX + ".fail")

        # --- RPC: progressive results (details.progress is set when the caller asked for them)
        async def progressive(n=3, details=None):
            if details.progress:
                for i in range(n):
                    details.progress(i)
                    await asyncio.sleep(0)
            return n

        await self.register(
            progressive, PREFIX + ".progress", RegisterOptions(details_arg="details")
        )

        # --- RPC: binary
        def reverse(b):
            require_bytes(b)
            return b[::-1]

        def sha256(b):
            require_bytes(b)
            return hashlib.sha256(b).digest()

        def concat(a, b):
            require_bytes(a, b)
            return a + b

        await self.register(reverse, PREFIX + ".bytes.reverse")
        await self.register(sha256, PREFIX + ".bytes.sha256")
        await self.register(concat, PREFIX + ".bytes.concat")

        # --- PubSub: Node publisher -> Python subscriber
        def on_event(*args, details=None, **kwargs):
            emit(
                {
                    "type": "event",
                    "topic": details.topic,
                    "args": list(args),
                    "kwargs": kwargs,
                    "publisher": details.publisher,
                }
            )

        await self.subscribe(
            on_event, PREFIX + ".topic", SubscribeOptions(details_arg="details")
        )

        emit({"type": "ready", "session": details.session})
        # asyncio keeps only weak references to tasks: hold them
        self._tasks = set()
        self._spawn(self._commands())

    def _spawn(self, coro):
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _commands(self):
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while True:
            line = await reader.readline()
            if not line:
                break  # stdin closed: time to go
            line = line.strip()
            if line:
                self._spawn(self._run(json.loads(line, object_hook=from_plain)))
        stop()

    async def _run(self, cmd):
        cid = cmd.get("id")
        try:
            if cmd["cmd"] == "publish":
                opts = dict(cmd.get("options") or {})
                opts.setdefault("acknowledge", True)
                pub = await self.publish(
                    cmd["topic"],
                    *cmd.get("args", []),
                    options=PublishOptions(**opts),
                    **cmd.get("kwargs", {}),
                )
                result = pub.id if pub else None
            elif cmd["cmd"] == "call":
                kw = {}
                if cmd.get("progress"):
                    kw["on_progress"] = lambda *a, **k: emit(
                        {"id": cid, "type": "progress", "args": list(a), "kwargs": k}
                    )
                result = await self.call(
                    cmd["procedure"],
                    *cmd.get("args", []),
                    options=CallOptions(**kw),
                    **cmd.get("kwargs", {}),
                )
            else:
                raise ValueError(f"unknown command {cmd['cmd']!r}")
        except ApplicationError as e:
            emit(
                {"id": cid, "type": "reply", "ok": False, "error": e.error,
                 "args": list(e.args), "kwargs": e.kwargs}
            )
        except Exception as e:  # noqa: BLE001 - report anything to the test
            emit({"id": cid, "type": "reply", "ok": False, "error": repr(e)})
        else:
            emit({"id": cid, "type": "reply", "ok": True, "result": result})

    def onDisconnect(self):
        stop()


_stopping = False


def stop():
    global _stopping
    if _stopping:
        return
    _stopping = True
    _shutdown.task = asyncio.ensure_future(_shutdown())


async def _shutdown():
    session = getattr(_shutdown, "session", None)
    try:
        if session is not None and session.is_attached():
            await asyncio.wait_for(session.leave(), 3)
    except Exception:  # noqa: BLE001
        pass
    _done.set()


_done = None


async def main():
    global _done
    txaio.start_logging(level=os.environ.get("PEER_LOGLEVEL", "warn"), out=sys.stderr)
    _done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)

    def make(config):
        session = Peer(config)
        _shutdown.session = session
        return session

    serializer = {"json": JsonSerializer, "msgpack": MsgPackSerializer, "cbor": CBORSerializer}[SERIALIZER]
    runner = ApplicationRunner(URL, REALM, serializers=[serializer()])
    transport, _protocol = await runner.run(make, start_loop=False)
    await _done.wait()
    transport.close()


if __name__ == "__main__":
    asyncio.run(main())
