# Assay function-test checker: TRUSTED, runs on the host (appended to wire.py), never inside the sandbox
# and never given the candidate's code. A warm, long-lived server: Rust sends one request per sample on fd 0
# (u32 little-endian length + JSON {"socket", "entry_point", "prefix", "tests", "timeout_s"}); the server binds
# the sample's Unix socket (the path is random and unguessable), answers {"listening": true}, then runs the
# dataset's prefix and `check(candidate)` itself, in a fresh namespace, with `candidate` bound to a proxy
# whose calls are executed by the sandboxed driver, and answers {"verdict": {...} | null, "retire": bool}
# (null: the check did not finish before its deadline). The verdict is only whether `check` returned normally.
#
# Why no fork per check (a fork, its copy-on-write faults and its exit were ~40% of a HumanEval sample's
# CPU): nothing of the candidate runs here, only plain data decoded by wire.py crosses, and each check gets
# its own connection, proxy and namespace; the proxy is dead once its check ends, so a reference kept by
# dataset code cannot reach another sample's candidate. Limits stay per check: a wall deadline (SIGALRM,
# then Rust kills the server as a backstop), RLIMIT_CPU re-armed for each check, and address space, file
# size and descriptor limits on the server. Shared interpreter state that dataset code may change (streams,
# builtins, recursion limit, working directory, the handlers of the signals that matter) is restored after
# each check; a server that timed out, grew threads, descriptors or memory, or served MAX_CHECKS checks
# retires (Rust starts a fresh one), which also bounds what dataset code that patches shared modules can
# carry over.
import _signal
import _socket
import builtins
import gc
import os
import resource
import signal
import struct
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
# the Rust *thread* that started the server, and scoring threads come and go); a check in flight then
# ends at its own deadline at the latest.
KILL_GRACE = 2.0
MAX_CHECKS = 1000
MAX_RSS_KB = 1 << 20
SPARE_FDS = 16
for _kind, _value in (
    (resource.RLIMIT_AS, 4 << 30),
    (resource.RLIMIT_FSIZE, 4 << 20),
    (resource.RLIMIT_NOFILE, 256),
    (resource.RLIMIT_CORE, 0),
):
    resource.setrlimit(_kind, (_value, _value))


class CandidateError(Exception):
    """The sandboxed candidate failed a call: it died, timed out, raised, or returned something that is
    not plain data."""


class _CheckTimeout(BaseException):
    """Raised by SIGALRM in a check that overran its deadline (dataset code may swallow it: the verdict is
    discarded anyway, and the server retires)."""


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


def _bound_waits(sock, deadline):
    """Makes each send and receive on `sock` give up at `deadline` at the latest, in the kernel
    (SO_SNDTIMEO/SO_RCVTIMEO; an expired wait raises BlockingIOError). A Python socket timeout would instead
    cost an ioctl per call to set it and a poll before every send and receive. Later calls check the
    deadline before they start; the alarm at the deadline plus KILL_GRACE ends the check in any case."""
    remaining = max(0.001, deadline - time.monotonic())
    seconds = int(remaining)
    timeval = struct.pack("ll", seconds, int((remaining - seconds) * 1e6))
    sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVTIMEO, timeval)
    sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_SNDTIMEO, timeval)


class _Connection:
    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline
        self.broken = None

    def request(self, message):
        # Encoded first: arguments that are not plain data fail the test's call, not the connection.
        frame = dump(message)
        if self.broken is not None:
            raise CandidateError(self.broken)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self.fail("deadline passed")
        try:
            self.sock.sendall(frame)
            reply = recv_message(self.sock)
        except BlockingIOError:
            self.fail("candidate did not answer before the deadline")
        except PlainDataError as error:
            self.fail("candidate returned invalid data: %s" % error)
        except OSError as error:
            self.fail("candidate connection failed: %r" % (error,))
        if reply is None:
            self.fail("candidate process ended (exit, crash or timeout) during a call")
        return reply

    def fail(self, reason):
        self.broken = reason
        raise CandidateError(reason)

    def close(self):
        """Ends the connection for good: a proxy kept by dataset code raises from now on."""
        self.broken = "the check of this candidate is over"
        self.sock.close()


def _proxy(connection, name):
    def candidate(*args, **kwargs):
        reply = connection.request(["call", args, kwargs])
        if reply[0] == "return" and len(reply) == 2:
            return reply[1]
        if reply[0] == "raise" and len(reply) == 3 and type(reply[1]) is str and type(reply[2]) is str:
            raise _exception(reply[1][:200], reply[2][:2000])
        connection.fail("candidate broke the call protocol")

    candidate.__name__ = candidate.__qualname__ = name or "candidate"
    return candidate


def _tail(text, limit=2000):
    return text if len(text) <= limit else "..." + text[-limit:]


def _accept(meta, listener, deadline):
    """The candidate's connection, or None if it never connected. The socket is unlinked either way."""
    try:
        listener.settimeout(max(0.001, deadline - time.monotonic()))
        fd, _ = listener._accept()
        # A blocking socket (accept4 does not pass the listener's non-blocking mode on), wrapped by the C
        # type directly: socket.py's class adds a Python-level constructor and accept().
        return _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM, 0, fd)
    except OSError:
        return None
    finally:
        listener.close()
        try:
            os.unlink(meta["socket"])
        except OSError:
            pass


def _check(meta, listener, deadline):
    """One sample's check; returns its verdict."""
    sock = _accept(meta, listener, deadline)
    if sock is None:
        return {"passed": False, "error": "the candidate process never connected"}
    connection = _Connection(sock, deadline)
    try:
        return _judge(meta, connection)
    finally:
        connection.close()


# Compiled dataset code by source: samples of one task (a GRPO group), and the same task in later steps or
# epochs, share their tests and prefix (compiling HumanEval's tests and prompt took ~0.2 ms per check).
# Code objects are immutable, and each check still executes them in a fresh namespace. Bounded by the
# characters of source held (a batch of ~1,000 HumanEval-sized tasks fits); full, it starts over.
_COMPILED = {}
_COMPILED_CHARS = 0
MAX_COMPILED_CHARS = 2 << 20
MAX_COMPILED_SOURCE = 1 << 16


def _compiled(source, filename):
    global _COMPILED_CHARS
    key = (filename, source)
    code = _COMPILED.get(key)
    if code is None:
        code = compile(source, filename, "exec")
        if len(source) <= MAX_COMPILED_SOURCE:
            if _COMPILED_CHARS + len(source) > MAX_COMPILED_CHARS:
                _COMPILED.clear()
                _COMPILED_CHARS = 0
            _COMPILED[key] = code
            _COMPILED_CHARS += len(source)
    return code


def _judge(meta, connection):
    sock = connection.sock
    _bound_waits(sock, connection.deadline)
    try:
        hello = recv_message(sock)
    except (OSError, PlainDataError) as error:
        return {"passed": False, "error": "candidate did not load: %r" % (error,)}
    if hello is not None and hello[0] == "load_error" and len(hello) == 2 and type(hello[1]) is str:
        return {"passed": False, "error": "candidate did not load: " + _tail(hello[1])}
    if hello != ["loaded"]:
        return {"passed": False, "error": "candidate ended before loading or broke the protocol"}

    entry_point = meta.get("entry_point")
    candidate = _proxy(connection, entry_point)
    namespace = {"__name__": "__assay_tests__", "__builtins__": builtins}
    try:
        if meta.get("prefix"):
            exec(_compiled(meta["prefix"], "prefix.py"), namespace)
        if entry_point:
            namespace[entry_point] = candidate
        exec(_compiled(meta["tests"], "tests.py"), namespace)
        check = namespace["check"]
        if not callable(check):
            raise TypeError("check is not callable")
    except _CheckTimeout:
        raise
    except BaseException:
        return {"data_error": _tail(traceback.format_exc())}
    try:
        check(candidate)
    except BaseException as error:
        return {"passed": False, "error": _tail("%s: %s" % (type(error).__name__, error))}
    return {"passed": True}


def _read_exact(fd, n):
    chunks = []
    while n > 0:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _send_raw(raw):
    view = memoryview(struct.pack("<I", len(raw)) + raw)
    while view:
        view = view[os.write(RESP, view) :]


def _send(obj):
    _send_raw(json.dumps(obj).encode())


# The two frames of every check, written without json.dumps (~20 µs each: it builds an encoder per call).
_LISTENING = b'{"listening":true}'
_RETIRE = (b"false", b"true")


def _send_verdict(verdict, retire):
    """{"verdict": verdict, "retire": retire}; verdicts are the dicts _judge makes (one key "passed", with an
    "error" string when false, or one key "data_error") or None."""
    if verdict is None:
        text = b"null"
    elif verdict.keys() == {"passed"}:
        text = b'{"passed":true}' if verdict["passed"] is True else b'{"passed":false}'
    else:
        text = json.dumps(verdict).encode()
    _send_raw(b'{"verdict":' + text + b',"retire":' + _RETIRE[bool(retire)] + b"}")


_CHECKING = False
_TIMED_OUT = False


def _on_alarm(signum, frame):
    global _TIMED_OUT
    if _CHECKING:
        _TIMED_OUT = True
        raise _CheckTimeout()


def _run_check(meta, listener):
    """Runs one check under its deadline and CPU limit; returns the verdict, or None if it overran."""
    global _CHECKING, _TIMED_OUT
    timeout = meta["timeout_s"]
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu_limit = int(used.ru_utime + used.ru_stime + timeout) + 2
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    if hard != resource.RLIM_INFINITY:
        cpu_limit = min(cpu_limit, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit, hard))
    _TIMED_OUT = False
    verdict = None
    started = time.monotonic()
    try:
        _CHECKING = True
        signal.setitimer(signal.ITIMER_REAL, timeout + KILL_GRACE)
        verdict = _check(meta, listener, started + timeout)
    except BaseException:
        verdict = None
    finally:
        _CHECKING = False
        signal.setitimer(signal.ITIMER_REAL, 0)
    # Dataset code may have replaced the SIGALRM handler or cancelled the timer: the clock decides.
    if _TIMED_OUT or time.monotonic() >= started + timeout + KILL_GRACE:
        return None
    return verdict


# Installed once; _restore puts it back if dataset code replaced it.
_signal.signal(signal.SIGALRM, _on_alarm)
_STREAMS = (sys.stdin, sys.stdout, sys.stderr)
_BUILTINS = dict(builtins.__dict__)
_RECURSION_LIMIT = sys.getrecursionlimit()
_WORKDIR = os.getcwd()
# The dispositions that matter to this server and its checks (alarms, timers, termination, pipes and
# file-size signals). Comparing all ~60 took ~65 µs per check, and nothing sends the others to this
# server (Rust stops it with SIGKILL; sandboxed candidates cannot signal it). Read and set through _signal's C
# functions: signal.getsignal and signal.signal convert each handler to and from an enum in Python (~70 µs
# per check for these twelve).
_HANDLERS = {
    int(number): _signal.getsignal(number)
    for number in (
        signal.SIGALRM,
        signal.SIGVTALRM,
        signal.SIGPROF,
        signal.SIGINT,
        signal.SIGTERM,
        signal.SIGHUP,
        signal.SIGUSR1,
        signal.SIGUSR2,
        signal.SIGPIPE,
        signal.SIGXFSZ,
        signal.SIGXCPU,
        signal.SIGCHLD,
    )
}


def _restore():
    """Puts back the interpreter state that dataset code may have changed; False if this server should retire."""
    # Builtins first (the rest of this server's code uses them): put back wholesale, cheaper than comparing.
    builtins.__dict__.clear()
    builtins.__dict__.update(_BUILTINS)
    sys.stdin, sys.stdout, sys.stderr = _STREAMS
    if sys.getrecursionlimit() != _RECURSION_LIMIT:
        sys.setrecursionlimit(_RECURSION_LIMIT)
    os.chdir(_WORKDIR)
    for number, handler in _HANDLERS.items():
        if _signal.getsignal(number) is not handler:
            _signal.signal(number, handler)
    if _thread_count() != 1:
        return False
    # Descriptors are numbered lowest-free first, so descriptors left open by dataset code reach this number
    # once there are about SPARE_FDS of them.
    try:
        os.fstat(_FIRST_FREE_FD + SPARE_FDS)
        return False
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss <= MAX_RSS_KB


def _thread_count():
    """Threads of this process: procfs counts them in the link count of /proc/self/task (plus its own two
    links), one system call where reading /proc/self/stat took three and a parse."""
    return os.stat("/proc/self/task").st_nlink - 2


def _serve():
    _send({"ready": True})
    served = 0
    while True:
        head = _read_exact(REQ, 4)
        if head is None:
            os._exit(0)
        raw = _read_exact(REQ, struct.unpack("<I", head)[0])
        if raw is None:
            os._exit(0)
        meta = json.loads(raw)
        try:
            listener = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
            # The socket must appear with its final mode: the candidate (another uid) may already be trying
            # to connect, and would be refused for good by a socket it cannot write to.
            umask = os.umask(0o111)
            try:
                listener.bind(meta["socket"])
            finally:
                os.umask(umask)
            listener.listen(1)
        except OSError as error:
            _send({"error": "cannot prepare the check: %r" % (error,)})
            continue
        # Rust has started the sandbox job already (its driver retries connecting until this socket
        # listens; the connection then waits in the backlog until the check accepts it).
        _send_raw(_LISTENING)
        verdict = _run_check(meta, listener)
        served += 1
        retire = verdict is None or served >= MAX_CHECKS
        try:
            retire = not _restore() or retire
        except BaseException:
            retire = True
        _send_verdict(verdict, retire)
        if retire:
            os._exit(0)


def _warm_up():
    """Runs a typical check once against a local function: the parser, compiler, typing and the codec build
    caches and allocator pools lazily; gc.freeze() then keeps collections from walking all of it again."""
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
        _, args, kwargs = load(dump(["call", args, kwargs])[4:])
        return load(dump(["return", namespace["helper"](*args, **kwargs)])[4:])[1]

    namespace["check"](local)
    try:
        raise _exception("ValueError", "warm-up")
    except ValueError:
        traceback.format_exc()


_warm_up()
_probe = os.dup(REQ)
_FIRST_FREE_FD = _probe
os.close(_probe)
gc.collect()
gc.freeze()
_serve()
