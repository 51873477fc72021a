# Assay function-test driver: runs INSIDE the sandbox (appended to wire.py), untrusted once the candidate
# is loaded. Each fork server loads it once as `sandbox_preload` (SandboxConfig::preload); a job
# (Program::Preload) calls `run(payload)` with the socket path, the entry point and the candidate program;
# it connects to the trusted checker's socket, loads the program, then serves call requests until the
# checker closes the connection.
# Nothing it sends is believed: the checker re-validates every message (see wire.py).
import _socket  # the C module: `socket` would cost ~5 ms of imports (enum, selectors) per job
import builtins
import os
import struct
import sys
import time

CONNECT_PATIENCE_S = 5.0


def _describe(error):
    try:
        return type(error).__name__, str(error)[:2000]
    except BaseException:
        return "Exception", "(unprintable exception)"


def _connect(path):
    """Rust starts this job without waiting for the checker to listen (both get ready in parallel): until
    the socket exists and listens, connecting is retried with a growing pause, for a few seconds at most."""
    pause, waited = 0.0001, 0.0
    while True:
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if waited >= CONNECT_PATIENCE_S:
                raise
        time.sleep(pause)
        waited += pause
        pause = min(pause * 2, 0.005)


_LENGTH = struct.Struct("<I")
# Encoded once, in the fork server: every job sends it.
_LOADED = dump(["loaded"])


def _fields(payload):
    """The socket path, the entry point and the program: two u32-length-prefixed UTF-8 strings, then the rest
    (as function.rs writes them; no JSON in the job's own code path)."""
    texts, at = [], 0
    for _ in range(2):
        (size,) = _LENGTH.unpack_from(payload, at)
        texts.append(payload[at + 4 : at + 4 + size].decode())
        at += 4 + size
    return texts[0], texts[1], payload[at:]


def _serve(payload):
    socket_path, entry_point, program = _fields(payload)
    program = program.decode("utf-8", "surrogateescape")
    sock = _connect(socket_path)
    sys.path.insert(0, os.getcwd())
    namespace = {"__name__": "__candidate__", "__builtins__": builtins}
    try:
        exec(compile(program, "solution.py", "exec"), namespace)
        function = namespace[entry_point]
        if not callable(function):
            raise TypeError("%s is not callable" % entry_point)
    except BaseException as error:
        sock.sendall(dump(["load_error", "%s: %s" % _describe(error)]))
        return
    sock.sendall(_LOADED)
    while True:
        request = recv_message(sock)
        if request is None:
            return
        _, args, kwargs = request
        try:
            reply = dump(["return", function(*args, **kwargs)])
        except BaseException as error:
            reply = dump(["raise", *_describe(error)])
        sock.sendall(reply)


def run(payload):
    _serve(payload)
    sys.stdout.flush()
    os._exit(0)


def _warm_up():
    """Runs the wire code on typical calls, in the fork server before it freezes its heap: CPython 3.11
    rewrites a function's bytecode in place after its first calls (quickening, then specialising), and a
    job that did this itself would copy-on-write every page of that bytecode again."""
    for _ in range(64):
        for args in (([3, 1, 2], "text", 2.5), ((1, "a"), {"k": [1]}, None), ({1, 2}, b"x", True)):
            _, args, kwargs = load(dump(["call", args, {}])[4:])
            load(dump(["return", list(args)])[4:])
        load(dump(["raise", "ValueError", "warm-up"])[4:])


_warm_up()
