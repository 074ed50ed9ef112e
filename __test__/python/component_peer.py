"""Autobahn|Python (asyncio, Component API) peer for __test__/router-peers.test.js.

Usage: python component_peer.py CONFIG_JSON

CONFIG_JSON: {"url": URL, "realm": REALM, "serializer": "json" | "msgpack" | "cbor",
              "transport": "websocket" (default) | "rawsocket" (then URL is rs://HOST:PORT),
              "authentication": {METHOD: {...}, ...}}   (optional; passed to Component as is,
e.g. {"ticket": {"authid": "u", "ticket": "t"}}, {"wampcra": {"authid": "u", "secret": "s"}},
{"cryptosign": {"authid": "u", "privkey": HEX_SEED}}, {"scram": {"authid": "u", "password": "p"}})

Prints JSON lines on stdout:
  {"type": "joined", "session": ID, "authid": .., "authrole": .., "authmethod": ..,
   "authprovider": .., "serializer": ..}                       once the session joined
  {"type": "left", "reason": URI, "message": TEXT}             the session ended (or was refused)
  {"type": "done", "ok": bool, "error": TEXT}                  the component finished (then exits)

Commands are JSON lines on stdin, each with an "id"; answers carry the same "id":
  {"cmd": "register", "procedure": P, "kind": "echo" | "progress" | "describe" | "fail" | "hang"}
      echo returns what it got; fail raises ApplicationError("com.peers.error.failed", "it failed",
      *args, code=7); hang never returns; progress (args [n]) sends n progressive results i = 0..n-1
      (when the caller asked) then returns "done after n"; describe returns the type
      description of args and kwargs (see describe()). Each invocation is also printed as
      {"type": "invocation", "procedure": P, "args": .., "kwargs": ..,
       "details": {caller, caller_authid, caller_authrole}}
  {"cmd": "subscribe", "topic": T}
      events: {"type": "event", "topic": T, "args": .., "kwargs": .., "types": describe(args),
               "kwtypes": describe(kwargs), "publisher": ID, "publisher_authid": ..}
  {"cmd": "call", "procedure": P, "args": [..], "kwargs": {..}, "progress": true, "describe": true}
      -> {"type": "progress", "id": N, "args": [..], "kwargs": {..}} per progressive result;
      with "describe" the reply has "types": {"args": describe(args), "kwargs": describe(kwargs)}
      of the result
  {"cmd": "publish", "topic": T, "args": [..], "kwargs": {..}}   (acknowledged)
  {"cmd": "leave"}
  -> {"type": "reply", "id": N, "ok": true, "result": VALUE}
     {"type": "reply", "id": N, "ok": false, "error": URI_OR_TEXT, "args": .., "kwargs": ..}

Bytes are written as {"$bytes": BASE64}, {"$bytes": BASE64} in commands become bytes; a
CallResult as {"$callresult": {"args": .., "kwargs": ..}}. Closing stdin (or SIGTERM) makes
the peer leave and exit.
"""

import asyncio
import json
import os
import signal
import sys

import txaio
from autobahn.asyncio.component import Component
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import (
    CallOptions,
    CallResult,
    PublishOptions,
    RegisterOptions,
    SubscribeOptions,
)

from jsonlines import emit, from_plain

CONFIG = json.loads(sys.argv[1])




def describe(v):
    """The type of a value as this client received it: 'int:5', 'float:5.0', 'bytes:<hex>', ..."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return f"bool:{'true' if v else 'false'}"
    if isinstance(v, (bytes, bytearray)):
        return f"bytes:{bytes(v).hex()}"
    if isinstance(v, int):
        return f"int:{v}"
    if isinstance(v, float):
        return f"float:{v!r}"
    if isinstance(v, str):
        return f"str:{v}"
    if isinstance(v, (list, tuple)):
        return [describe(x) for x in v]
    if isinstance(v, dict):
        return {k: describe(x) for k, x in v.items()}
    return f"{type(v).__name__}:{v!r}"


if CONFIG.get("transport") == "rawsocket":
    transport = {
        "type": "rawsocket",
        "url": CONFIG["url"],
        "serializer": CONFIG.get("serializer", "json"),
        "max_retries": 0,
    }
else:
    transport = {
        "type": "websocket",
        "url": CONFIG["url"],
        "serializers": [CONFIG.get("serializer", "json")],
        "max_retries": 0,
    }
component = Component(
    transports=[transport],
    realm=CONFIG["realm"],
    authentication=CONFIG.get("authentication") or None,
)

_tasks = set()
_answers = set()  # command tasks still running: let them answer before the process exits
_session = None


def spawn(coro, group=_tasks):
    task = asyncio.ensure_future(coro)
    group.add(task)
    task.add_done_callback(group.discard)


@component.on_join
async def joined(session, details):
    global _session
    _session = session
    emit(
        {
            "type": "joined",
            "session": details.session,
            "authid": details.authid,
            "authrole": details.authrole,
            "authmethod": details.authmethod,
            "authprovider": details.authprovider,
            "serializer": session._transport._serializer.SERIALIZER_ID,
        }
    )


@component.on_leave
def left(session, details):
    emit({"type": "left", "reason": details.reason, "message": details.message})


async def fail(*args, **kwargs):
    raise ApplicationError("com.peers.error.failed", "it failed", *args, code=7)


async def hang(*args, **kwargs):
    await asyncio.get_running_loop().create_future()  # never resolves


async def progressive(n, details=None):
    if details.progress:
        for i in range(n):
            details.progress(i)
            await asyncio.sleep(0)
    return f"done after {n}"


ENDPOINTS = {
    "echo": lambda *a, **kw: a[0] if len(a) == 1 and not kw else CallResult(*a, **kw),
    "describe": lambda *a, **kw: CallResult(describe(list(a)), kwargs=describe(kw)),
    "fail": fail,
    "hang": hang,
}


async def run(cmd):
    s = _session
    name = cmd["cmd"]
    if name == "register":
        kind = cmd["kind"]
        procedure = cmd["procedure"]

        def endpoint(*args, details=None, **kwargs):
            emit(
                {
                    "type": "invocation",
                    "procedure": procedure,
                    "args": list(args),
                    "kwargs": kwargs,
                    "details": {
                        "caller": details.caller,
                        "caller_authid": details.caller_authid,
                        "caller_authrole": details.caller_authrole,
                    },
                }
            )
            if kind == "progress":
                return progressive(*args, details=details)
            return ENDPOINTS[kind](*args, **kwargs)

        reg = await s.register(endpoint, procedure, RegisterOptions(details_arg="details"))
        return reg.id
    if name == "subscribe":
        topic = cmd["topic"]

        def on_event(*args, details=None, **kwargs):
            emit(
                {
                    "type": "event",
                    "topic": topic,
                    "args": list(args),
                    "kwargs": kwargs,
                    "types": describe(list(args)),
                    "kwtypes": describe(kwargs),
                    "publisher": details.publisher,
                    "publisher_authid": details.publisher_authid,
                }
            )

        sub = await s.subscribe(on_event, topic, SubscribeOptions(details_arg="details"))
        return sub.id
    if name == "call":
        kw = {}
        if cmd.get("progress"):
            cid = cmd["id"]
            kw["on_progress"] = lambda *a, **k: emit(
                {"id": cid, "type": "progress", "args": list(a), "kwargs": k}
            )
        return await s.call(
            cmd["procedure"],
            *cmd.get("args", []),
            options=CallOptions(**kw),
            **cmd.get("kwargs", {}),
        )
    if name == "publish":
        pub = await s.publish(
            cmd["topic"],
            *cmd.get("args", []),
            options=PublishOptions(acknowledge=True),
            **cmd.get("kwargs", {}),
        )
        return pub.id
    if name == "leave":
        await s.leave()
        return None
    raise ValueError(f"unknown command {name!r}")


async def answer(cmd):
    cid = cmd.get("id")
    try:
        result = await run(cmd)
        types = None
        if cmd.get("describe"):
            if isinstance(result, CallResult):
                types = {
                    "args": describe(list(result.results)),
                    "kwargs": describe(result.kwresults),
                }
            else:
                types = {"args": describe([result]), "kwargs": {}}
    except ApplicationError as e:
        emit(
            {"id": cid, "type": "reply", "ok": False, "error": e.error,
             "args": list(e.args), "kwargs": e.kwargs}
        )
    except Exception as e:  # noqa: BLE001 - report anything to the test
        emit({"id": cid, "type": "reply", "ok": False, "error": repr(e)})
    else:
        emit({"id": cid, "type": "reply", "ok": True, "result": result, "types": types})


async def commands(stop):
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)  # large values come as long lines
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break  # stdin closed: time to go
        line = line.strip()
        if line:
            spawn(answer(json.loads(line, object_hook=from_plain)), _answers)
    stop()


async def main():
    txaio.start_logging(level=os.environ.get("PEER_LOGLEVEL", "critical"), out=sys.stderr)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    done = asyncio.ensure_future(component.start(loop))

    def stop():
        stopping.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    spawn(commands(stop))

    waiter = asyncio.ensure_future(stopping.wait())
    await asyncio.wait([done, waiter], return_when=asyncio.FIRST_COMPLETED)
    if not done.done():
        if _session is not None and _session.is_attached():
            try:
                await asyncio.wait_for(_session.leave(), 3)
            except Exception:  # noqa: BLE001
                pass
        try:
            await asyncio.wait_for(asyncio.shield(done), 3)
        except Exception:  # noqa: BLE001
            pass
    if _answers:
        await asyncio.wait(set(_answers), timeout=3)
    ok, error = True, None
    if done.done() and not done.cancelled() and done.exception() is not None:
        ok, error = False, str(done.exception())
    emit({"type": "done", "ok": ok, "error": error})


if __name__ == "__main__":
    asyncio.run(main())
