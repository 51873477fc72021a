# Assay fork server bootstrap: trusted code, the `-c` script of every sandbox fork server (see server.py).
#
# Rust writes three frames to fd 0 first (little-endian u32 length + bytes each): server.py and the preload
# (SandboxConfig::preload; empty for none) as UTF-8 source, then the shared object of the native job loop
# (forkloop.c). A throwaway child compiles both sources and hands the code objects back marshalled; this
# process loads them and runs the server with the preload's code as PRELOAD_CODE and the shared object's
# bytes as NATIVE_LOOP.
#
# Why: compiling server.py here (it used to be the `-c` script itself) left ~2 MiB of the parser's and
# compiler's freed memory resident between the objects that stay, ~500 pages that every fork copied the
# page-table entries of and every job's exit tore down again (the server's private memory was ~8.5 MiB;
# now ~6.5 MiB). Sources passed as arguments also stayed in the interpreter's configuration, as wide strings.
import marshal
import os


def _read(n):
    chunks = []
    while n:
        chunk = os.read(0, n)
        if not chunk:
            raise EOFError("fork server bootstrap: its sources were cut short")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _frame():
    return _read(int.from_bytes(_read(4), "little"))


def _compiled(server, preload):
    """Both code objects, marshalled, compiled in a child whose memory goes away with it."""
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(readable)
            preload_code = compile(preload, "sandbox_preload.py", "exec") if preload else None
            view = memoryview(marshal.dumps((compile(server, "server.py", "exec"), preload_code)))
            while view:
                view = view[os.write(writable, view) :]
            os._exit(0)
        except BaseException:
            import traceback

            traceback.print_exc()
            os._exit(1)
    os.close(writable)
    chunks = []
    while True:
        chunk = os.read(readable, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(readable)
    if os.waitpid(pid, 0)[1] != 0:
        raise SystemExit("fork server bootstrap: compiling the server or the preload failed (see above)")
    return b"".join(chunks)


_SERVER_CODE, PRELOAD_CODE = marshal.loads(_compiled(_frame(), _frame()))
NATIVE_LOOP = _frame()
del _read, _frame, _compiled
exec(_SERVER_CODE)
