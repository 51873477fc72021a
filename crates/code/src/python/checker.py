# Assay function-test checker: TRUSTED, runs on the host (appended to codec.py), never inside the sandbox
# and never given the candidate's code. A warm fork server: Rust sends one request per sample on fd 0 (u32
# little-endian length + JSON {"socket", "entry_point", "prefix", "tests", "timeout_s"}); the server binds the
# sample's Unix socket (the path is random and unguessable), answers {"listening": true}, forks a child
# that runs the dataset's prefix and `check(candidate)` with `candidate` bound to a proxy whose calls are
# executed by the sandboxed driver, then answers {"verdict": {...} | null} (null: the child was killed at
# the deadline or died). The verdict is only whether `check` returned normally in the child.
import builtins
import ctypes
import gc
import os
import resource
import select
import signal
import socket
import sys
import time
import traceback

# Warm imports: modules that dataset tests commonly use, loaded once here instead of once per check.
import bisect  # noqa: F401
import collections  # noqa: F401
import fractions  # noqa: F401
import functools  # noqa: F401
import hashlib  # noqa: F401
import heapq  # noqa: F401
import itertools  # noqa: F401
import math  # noqa: F401
import random  # noqa: F401
import re  # noqa: F401
import string  # noqa: F401
import typing  # noqa: F401

REQ = os.dup(0)
RESP = os.dup(1)
_null = os.open(os.devnull, os.O_RDWR)
for _fd in (0, 1, 2):
    os.dup2(_null, _fd)
os.close(_null)
# The server exits when Rust closes its request pipe (no parent-death signal here: that signal follows
# the Rust *thread* that started the server, and scoring threads come and go). Each check's child does
# take one, from this single-threaded server.
_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1
MAX_VERDICT = 1 << 16
KILL_GRACE = 2.0

_VERDICT = None
_DEADLINE = 0.0


def _finish(**verdict):
    raw = json.dumps(verdict).encode()
    view = memoryview(raw)
    while view:
        view = view[os.write(_VERDICT, view) :]
    os._exit(0)


class CandidateError(Exception):
    """The sandboxed candidate failed a call: it died, timed out, raised, or returned something that is
    not plain data."""


# Exceptions the candidate raises are re-raised here under their builtin type so that tests such as
# `try: candidate(x) except ValueError: ...` keep working. StopIteration is excluded: raised inside
# map()/zip() it silently truncates iteration (`all(map(candidate, xs))` would pass).
_NOT_RERAISED = (StopIteration, StopAsyncIteration)


def _exception(name, message):
    found = getattr(builtins, name, None) if type(name) is str and name.isidentifier() else None
    if (
        isinstance(found, type)
        and issubclass(found, Exception)
        and not issubclass(found, _NOT_RERAISED)
        and found.__module__ == "builtins"
    ):
        try:
            return found(message)
        except BaseException:
            pass
    return CandidateError("%s: %s" % (name, message))


class _Connection:
    def __init__(self, sock):
        self.sock = sock
        self.broken = None

    def request(self, message):
        if self.broken is not None:
            raise CandidateError(self.broken)
        remaining = _DEADLINE - time.monotonic()
        if remaining <= 0:
            self.fail("deadline passed")
        self.sock.settimeout(remaining)
        try:
            send_message(self.sock, message)
            reply = recv_message(self.sock)
        except socket.timeout:
            self.fail("candidate did not answer before the deadline")
        except (OSError, PlainDataError) as error:
            self.fail("candidate connection failed: %r" % (error,))
        if reply is None:
            self.fail("candidate process ended (exit, crash or timeout) during a call")
        return reply

    def fail(self, reason):
        self.broken = reason
        raise CandidateError(reason)


def _proxy(connection, name):
    def candidate(*args, **kwargs):
        message = {"call": encode((args, kwargs))}
        reply = connection.request(message)
        if type(reply) is dict and len(reply) == 1:
            if "return" in reply:
                try:
                    return decode(reply["return"])
                except PlainDataError as error:
                    connection.fail("candidate returned invalid data: %s" % error)
            raised = reply.get("raise")
            if type(raised) is list and len(raised) == 2 and all(type(x) is str for x in raised):
                raise _exception(raised[0][:200], raised[1][:2000])
        connection.fail("candidate broke the call protocol")

    candidate.__name__ = candidate.__qualname__ = name or "candidate"
    return candidate


def _tail(text, limit=2000):
    return text if len(text) <= limit else "..." + text[-limit:]


def _check(meta, listener):
    """Runs in the forked child: one sample's check. Never returns."""
    listener.settimeout(max(0.001, _DEADLINE - time.monotonic()))
    try:
        sock, _ = listener.accept()
    except socket.timeout:
        _finish(passed=False, error="the candidate process never connected")
    listener.close()
    try:
        os.unlink(meta["socket"])
    except OSError:
        pass
    connection = _Connection(sock)
    sock.settimeout(max(0.001, _DEADLINE - time.monotonic()))
    try:
        hello = recv_message(sock)
    except (OSError, PlainDataError) as error:
        hello = None
        _finish(passed=False, error="candidate did not load: %r" % (error,))
    if type(hello) is dict and type(hello.get("load_error")) is str:
        _finish(passed=False, error="candidate did not load: " + _tail(hello["load_error"]))
    if hello != {"loaded": True}:
        _finish(passed=False, error="candidate ended before loading or broke the protocol")

    entry_point = meta.get("entry_point")
    candidate = _proxy(connection, entry_point)
    namespace = {"__name__": "__assay_tests__", "__builtins__": builtins}
    try:
        if meta.get("prefix"):
            exec(compile(meta["prefix"], "prefix.py", "exec"), namespace)
        if entry_point:
            namespace[entry_point] = candidate
        exec(compile(meta["tests"], "tests.py", "exec"), namespace)
        check = namespace["check"]
        if not callable(check):
            raise TypeError("check is not callable")
    except BaseException:
        _finish(data_error=_tail(traceback.format_exc()))
    try:
        check(candidate)
    except BaseException as error:
        _finish(passed=False, error=_tail("%s: %s" % (type(error).__name__, error)))
    _finish(passed=True)


def _read_exact(fd, n):
    chunks = []
    while n > 0:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _send(obj):
    raw = json.dumps(obj).encode()
    view = memoryview(struct.pack("<I", len(raw)) + raw)
    while view:
        view = view[os.write(RESP, view) :]


def _supervise(pid, verdict_r, deadline):
    """Collects the child's verdict; kills it at `deadline`. Returns the parsed verdict or None."""
    data = b""
    poller = select.poll()
    poller.register(verdict_r, select.POLLIN)
    killed = False
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            killed = True
            break
        if not poller.poll(max(1, int(remaining * 1000))):
            continue
        chunk = os.read(verdict_r, MAX_VERDICT)
        if not chunk:
            break
        data += chunk
    os.close(verdict_r)
    if killed:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    if killed or not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def _child(meta, listener, verdict_w):
    global _VERDICT, _DEADLINE
    _VERDICT = verdict_w
    _DEADLINE = time.monotonic() + meta["timeout_s"]
    try:
        os.close(REQ)
        os.close(RESP)
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        for kind, value in (
            (resource.RLIMIT_CPU, int(meta["timeout_s"]) + 2),
            (resource.RLIMIT_AS, 4 << 30),
            (resource.RLIMIT_FSIZE, 4 << 20),
            (resource.RLIMIT_NOFILE, 256),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(kind, (value, value))
        _check(meta, listener)
    finally:
        os._exit(70)


def _serve():
    _send({"ready": True})
    while True:
        head = _read_exact(REQ, 4)
        if head is None:
            os._exit(0)
        raw = _read_exact(REQ, struct.unpack("<I", head)[0])
        if raw is None:
            os._exit(0)
        meta = json.loads(raw)
        try:
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(meta["socket"])
            os.chmod(meta["socket"], 0o666)
            listener.listen(1)
            verdict_r, verdict_w = os.pipe()
        except OSError as error:
            _send({"error": "cannot prepare the check: %r" % (error,)})
            continue
        # The candidate may connect as soon as the socket listens (the connection waits in the backlog),
        # so Rust starts the sandbox job while this server forks the check.
        _send({"listening": True})
        try:
            pid = os.fork()
        except OSError as error:
            listener.close()
            os.close(verdict_r)
            os.close(verdict_w)
            _send({"error": "cannot fork the check: %r" % (error,)})
            continue
        if pid == 0:
            os.close(verdict_r)
            _child(meta, listener, verdict_w)
        listener.close()
        os.close(verdict_w)
        verdict = _supervise(pid, verdict_r, time.monotonic() + meta["timeout_s"] + KILL_GRACE)
        _send({"verdict": verdict})


def _warm_up():
    """Runs a typical check once against a local function: the parser, compiler, typing and the codec build
    caches and allocator pools lazily, and without this every forked check would build them again in
    freshly copied pages."""
    source = """
from typing import Dict, List, Optional, Tuple


def helper(xs: List[int], table: Dict[str, float], pair: Tuple[int, ...], name: Optional[str] = None) -> List[int]:
    \"\"\"A docstring, as prompts have.\"\"\"
    return sorted((x * 2 for x in xs if x % 3 != 1), reverse=True)


METADATA = {"author": "warm-up", "dataset": "test"}


def check(candidate):
    assert candidate([1, 2, 3], {"a": 1.0}, (1,)) == [6, 4]
    assert abs(candidate([5], {}, ())[0] - 10.0) < 1e-6, "a message"
"""
    namespace = {"__name__": "__warm_up__", "__builtins__": builtins}
    exec(compile(source, "warm_up.py", "exec"), namespace)

    def local(*args, **kwargs):
        call = json.loads(json.dumps({"call": encode((args, kwargs))}))
        args, kwargs = decode(call["call"])
        reply = json.loads(json.dumps({"return": encode(namespace["helper"](*args, **kwargs))}))
        return decode(reply["return"])

    namespace["check"](local)
    try:
        raise _exception("ValueError", "warm-up")
    except ValueError:
        traceback.format_exc()


_warm_up()
gc.collect()
gc.freeze()
_serve()
