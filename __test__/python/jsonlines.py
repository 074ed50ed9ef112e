"""JSON lines between a Python test peer and the Node test that drives it: bytes travel as
{"$bytes": base64}, call results as {"$callresult": {args, kwargs}}."""
import base64
import json
import sys

from autobahn.wamp.types import CallResult


def _plain(value):
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, CallResult):
        return {"$callresult": {"args": list(value.results), "kwargs": value.kwresults}}
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def from_plain(obj):
    """object_hook for json.loads: {"$bytes": ...} back to bytes."""
    if len(obj) == 1 and "$bytes" in obj:
        return base64.b64decode(obj["$bytes"])
    return obj


def emit(obj):
    """One message to the test, as a line on stdout."""
    sys.stdout.write(json.dumps(obj, default=_plain, ensure_ascii=False) + "\n")
    sys.stdout.flush()
