# Assay fork server: trusted code, runs as PID 1 of a fresh PID namespace inside the sandbox.
#
# Run by bootstrap.py (the `-c` script), which compiles this file and the preload in a throwaway child and
# runs it with the preload's code object (or None) as PRELOAD_CODE and the bytes of the native job loop's
# shared object (forkloop.c) as NATIVE_LOOP. Arguments: the seccomp filters as hex.
# The per-job loop of the server itself (read a header, fork, supervise, answer) and each child's setup are
# native (forkloop.c, childsetup.c); this file sets the server up and runs the candidate in each set-up child.
# Protocol (little-endian u32 length prefix + payload, over fds 0 and 1 as started by Rust):
#   server -> rust : frame(JSON {"ready": true, "pid": ...}) once at start.
#   rust -> server : frame(binary header, read by forkloop.c: body_len, wall_ms, cpu_s, memory, nproc, fsize,
#                    nofile, output, fetch_bytes, fetch_count, then fetch_count paths as u32 length + UTF-8)
#                    then the raw body (body_len bytes).
#   The body is read by the forked CHILD, never by this server, so the server's memory never holds candidate
#   code, stdin or files that a later child could scrape out of the inherited heap.
#   body = binary (see childsetup.c and Job::encode_body): kind (Python source, preload payload for
#          sandbox_preload.run(payload), or exec argv), the files' paths and sizes, then the source or
#          payload, stdin and the file contents.
#   server -> rust : frame(binary response packed by forkloop.c, then the error text, then (index into the
#                    header's fetch paths, length) per file read back) + stdout bytes + stderr bytes + the
#                    bytes of the files read back; a response with `fatal` set is the server's last (it
#                    exits; Rust replaces it).
# The server installs no_new_privs and the seccomp filters on itself once, before serving: every child inherits
# them (a child cannot remove a filter), so only per-job settings are made per child.
# The server leads a session of its own (no controlling terminal for it or any child). Each child: own process
# group, own stdin/stdout/stderr files, uid/gid 1 (the server is uid 0 of the user namespace,
# so the child can neither signal nor ptrace it), rlimits, fresh /box/work and /box/tmp.
# After each run the server (PID 1) kills every other process of the namespace and reaps them, then wipes the
# writable tmpfs directories before answering, so nothing survives into the next run.
import atexit
import builtins
import ctypes
import gc
import json
import os
import signal
import struct
import sys
import types

# Warm imports: modules that typical candidate programs import (HumanEval prompts start with
# `from typing import List`), loaded once here instead of once per forked child. Each child gets its own
# copy-on-write copy, so a candidate that patches one of them affects only itself.
# Not `random`: it registers an at-fork hook that reseeds from the kernel in every child (~0.3 ms of CPU per
# job measured here), so only the programs that import it pay for it.
import bisect  # noqa: F401
import collections  # noqa: F401
import functools  # noqa: F401
import hashlib  # noqa: F401
import heapq  # noqa: F401
import itertools  # noqa: F401
import math  # noqa: F401
import re  # noqa: F401
import string  # noqa: F401
import typing  # noqa: F401
import _socket  # noqa: F401  (the C module; harnesses such as assay-code's driver talk over AF_UNIX sockets)
import marshal  # noqa: F401

REQ = os.dup(0)
RESP = os.dup(1)
# fds 0 and 1 become /dev/null below; a child keeps that stdin unless its job has stdin bytes.
_null = os.open("/dev/null", os.O_RDWR)
os.dup2(_null, 0)
os.dup2(_null, 1)
os.close(_null)

CHILD_ENVIRONMENT = (
    ("PATH", "/usr/local/bin:/usr/bin:/bin"),
    ("HOME", "/box/work"),
    ("TMPDIR", "/tmp"),
    ("LANG", "C.UTF-8"),
    ("PYTHONHASHSEED", "0"),
)

libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


FILTERS = []
for _hex in sys.argv[1:]:
    _raw = bytes.fromhex(_hex)
    _buf = ctypes.create_string_buffer(_raw, len(_raw))
    FILTERS.append((SockFprog(len(_raw) // 8, ctypes.addressof(_buf)), _buf))

libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
# One session for the server and its children, made once: a session per child made the kernel build and later
# tear down a scheduler autogroup for every job (~0.1 ms per job measured here). Children still get process
# groups of their own (childsetup.c), so a candidate's kill(0) reaches only its own processes.
os.setsid()
libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)

# The children's environment and umask, set once here and inherited: per child, os.environ's Python-level
# MutableMapping code (and, through update(), an uncached ABC check that walked Mapping's subclass tree)
# touched hundreds of copy-on-write pages. Rust's LD_BIND_NOW has done its work (the loader read it at
# start-up; later dlopens keep binding eagerly) and leaves with the rest, so candidates never see it.
os.environ.clear()
for _name, _value in CHILD_ENVIRONMENT:
    os.environ[_name] = _value
os.umask(0o022)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def send_frame(raw, *tails):
    write_all(RESP, struct.pack("<I", len(raw)) + raw)
    for tail in tails:
        write_all(RESP, tail)


class Job(ctypes.Structure):
    """What the native loop hands a forked child, set up (forkloop.h's `struct job`)."""

    _fields_ = [("kind", ctypes.c_int), ("source", ctypes.c_void_p), ("source_len", ctypes.c_size_t)]


PROGRAM_PRELOAD = 1


def load_native_loop(image):
    """forkloop.c's `assay_serve`, loaded from `image` through a file that exists only for the dlopen (this
    tmpfs is the one place in the sandbox the server can write; nothing else runs yet to see the file). Loaded
    with PyDLL: the interpreter's lock stays held in the loop, and no other thread exists to want it."""
    path = "/box/.assay-forkloop.so"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o500)
    try:
        write_all(fd, image)
    finally:
        os.close(fd)
    try:
        loop = ctypes.PyDLL(path).assay_serve
    finally:
        os.unlink(path)
    loop.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.POINTER(Job))
    loop.restype = ctypes.c_int
    return loop


SERVE_JOBS = load_native_loop(NATIVE_LOOP)  # noqa: F821 (set by bootstrap.py)
del NATIVE_LOOP  # noqa: F821
JOB = Job()


def serve():
    """Answers ready, then enters the native loop, which returns only in the forked child of a Python or
    preload job, once that child is set up: (source or payload, whether it is a preload job).
    The child skips CPython's after-fork hooks (os.fork runs them): they re-create locks that only another
    thread could have held, and this server has no other thread, registers no at-fork callbacks and imports
    neither threading nor random; the child's interpreter state is the server's, whole and consistent."""
    send_frame(json.dumps({"ready": True, "pid": os.getpid()}).encode())
    SERVE_JOBS(REQ, RESP, JOB)
    return ctypes.string_at(JOB.source, JOB.source_len), JOB.kind == PROGRAM_PRELOAD


def _exit_status(exit_request):
    code = exit_request.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        sys.stderr.write(str(code) + "\n")
    except BaseException:
        pass
    return 1


def _run_candidate(source, preload):
    """Runs the candidate as `python3 main.py` would (or, for a preload job, `sandbox_preload.run(source)`),
    but ends with os._exit: a full interpreter finalisation in a forked child costs ~50 ms (it frees the
    whole inherited heap); what a program can observe of it (non-daemon threads joined, atexit handlers,
    flushed streams, exit status, traceback on stderr) is reproduced here."""
    module = sys.modules["__main__"]  # the candidate's, made by the server (candidate_main)
    try:
        if preload:
            sys.modules["sandbox_preload"].run(source)
        else:
            exec(compile(source.decode("utf-8", "surrogateescape"), "main.py", "exec"), module.__dict__)
        status = 0
    except SystemExit as exit_request:
        status = _exit_status(exit_request)
    except BaseException as error:
        tb = error.__traceback__
        sys.excepthook(type(error), error, tb.tb_next if tb is not None and tb.tb_next is not None else tb)
        status = 1
    threading = sys.modules.get("threading")
    if threading is not None:
        try:
            threading._shutdown()
        except BaseException:
            pass
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            status = 120
    os._exit(status)


# A typical small program, compiled and run once here: the parser, the compiler and typing build caches
# and allocator pools lazily, and without this every forked child would build them again in freshly
# copied pages (measured: ~2x the CPU of a child that loads a HumanEval-sized program).
_WARM_UP = """
from typing import Dict, List, Optional, Tuple


def warm(xs: List[int], table: Dict[str, float], pair: Tuple[int, ...], name: Optional[str] = None) -> List[int]:
    \"\"\"A docstring, as prompts have.\"\"\"
    seen = {x: str(x) for x in xs}
    return sorted((x * 2 for x in xs if x % 3 != 1), reverse=True) + [len(seen), len(table), len(pair)]


class Warm:
    pass


assert warm([1, 2, 3], {"a": 1.0}, (1,)) == [6, 4, 3, 1, 1]
"""
exec(compile(_WARM_UP, "warm_up.py", "exec"), {"__name__": "__warm_up__"})
del _WARM_UP

# The embedding harness's trusted helper code (SandboxConfig::preload), loaded once for every child.
if PRELOAD_CODE is not None:  # noqa: F821 (set by bootstrap.py)
    _preload = types.ModuleType("sandbox_preload")
    _preload.__file__ = "sandbox_preload.py"
    sys.modules["sandbox_preload"] = _preload
    exec(PRELOAD_CODE, _preload.__dict__)  # noqa: F821
    del _preload
del PRELOAD_CODE  # noqa: F821


# More free blocks than this in one size class is not what a freshly started server holds: such a row is
# not trusted.
MAX_FILLED_BLOCKS = 1 << 16


def free_small_blocks():
    """{block size: free blocks} of CPython's small-object allocator, as sys._debugmallocstats prints them
    (to the C stderr, so read back through a memfd); empty if this interpreter has no such report."""
    print_stats = getattr(sys, "_debugmallocstats", None)
    if print_stats is None:
        return {}
    report = os.memfd_create("mallocstats")
    saved = os.dup(2)
    try:
        os.dup2(report, 2)
        print_stats()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    size = os.lseek(report, 0, os.SEEK_END)
    text = os.pread(report, size, 0).decode("ascii", "replace")
    os.close(report)
    free = {}
    # Rows of the size-class table: class, block size, pools, blocks in use, free blocks. Rows that do not
    # look like small-object size classes are skipped (the report is not a stable interface).
    for row in re.finditer(r"(?m)^\s*\d+\s+(\d+)\s+\d+\s+\d+\s+(\d+)\s*$", text):
        size, count = int(row.group(1)), int(row.group(2))
        if 0 < size <= 512 and size % 16 == 0 and count <= MAX_FILLED_BLOCKS:
            free[size] = count
    return free


def fill_small_blocks():
    """Allocates every free block of the small-object allocator's partly used pools, and keeps the objects
    for good. Otherwise a child's first allocations of each size land in the free blocks the server's pools
    have scattered over its heap, and every such page is a copy-on-write fault; with those pools full, a
    child allocates from pools of its own, in pages nothing shares (measured: ~45 fewer copied pages per
    job)."""
    kept = []
    for size, count in free_small_blocks().items():
        objects = [None] * count
        if size == 16:
            for i in range(count):
                objects[i] = object()
        elif size == 32:
            # An int above the small-int cache takes 28 bytes here.
            for i in range(count):
                objects[i] = 1000 + i
        elif size >= 48:
            # A bytes object of length n takes 33 + n bytes.
            for i in range(count):
                objects[i] = bytes(size - 33)
        kept.append(objects)
    return kept


def code_names(code):
    """The global and attribute names a code object and the functions nested in it use."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= code_names(const)
    return names


def prime_attribute_cache():
    """Looks up, once, every name the server's and the preload's functions use, as an attribute of a module
    and of a socket. CPython caches (type, name) lookups in one table of the interpreter, and a lookup that
    misses writes an entry there (and releases the name it evicts). A child runs its setup and the preload's
    code for the first time in that code's life, unspecialised, so each module attribute it reads is such
    a lookup; unprimed, the writes cost ~35 copy-on-write faults per job (measured)."""
    namespaces = [globals()]
    if "sandbox_preload" in sys.modules:
        namespaces.append(vars(sys.modules["sandbox_preload"]))
    names = set()
    for namespace in namespaces:
        for value in list(namespace.values()):
            if isinstance(value, types.FunctionType):
                names |= code_names(value.__code__)
    for name in sorted(names):
        getattr(os, name, None)
        getattr(_socket.socket, name, None)


def candidate_main():
    """The empty `__main__` module a candidate runs in, as `python3 main.py` would give it."""
    module = types.ModuleType("__main__")
    module.__builtins__ = builtins
    module.__file__ = "main.py"
    module.__cached__ = None
    return module


# The candidate's `__main__` and `sys.argv`, made once here (each child gets its own copy-on-write copy of
# both): a child that replaced them itself wrote to `sys` and `sys.modules` and freed this server's module
# and its argument list, all in pages it then had to copy.
sys.modules["__main__"] = candidate_main()
sys.argv = ["main.py"]

# Everything loaded so far goes to the permanent GC generation (gc.freeze below): collections in a child then
# never walk (and so never copy-on-write) the server's objects.
gc.collect()
prime_attribute_cache()
FILLED_BLOCKS = fill_small_blocks()
# Free heap pages go back to the kernel: fewer page-table entries for every fork to copy and every job's
# exit to tear down (~0.5 MiB here).
libc.malloc_trim(0)
gc.freeze()


def restrict_self():
    """no_new_privs and the seccomp filters, on this server and so on every child it forks (inherited across
    fork and exec, and impossible to remove)."""
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    for prog, _ in FILTERS:
        if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP")


restrict_self()
_run_candidate(*serve())
