# Assay call probe: runs INSIDE the sandbox (appended to codec.py), untrusted once the candidate is loaded.
# stdin: one JSON header line {"entry_point", "marker", "calls": [encoded (args, kwargs)...]} then the
# program. Writes one line per call to stdout: marker + JSON {"i": index, "return": tree} or
# {"i": index, "raise": [type, message]}; load failures as {"load_error": text}. Each line is flushed
# at once so that results survive a candidate that later exits, hangs or dies. Nothing here is believed
# by the caller beyond "this is what the program returned": values are re-validated on the Rust side.
import builtins
import json
import os
import sys


def _emit(marker, message):
    line = marker + json.dumps(message, ensure_ascii=False, allow_nan=False) + "\n"
    os.write(1, line.encode("utf-8", "surrogatepass"))


def _describe(error):
    try:
        return [type(error).__name__, str(error)[:500]]
    except BaseException:
        return ["Exception", "(unprintable exception)"]


def _probe():
    header = json.loads(sys.stdin.buffer.readline())
    program = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
    marker = header["marker"]
    calls = [decode(call) for call in header["calls"]]
    sys.path.insert(0, os.getcwd())
    namespace = {"__name__": "__candidate__", "__builtins__": builtins}
    try:
        exec(compile(program, "solution.py", "exec"), namespace)
        function = namespace[header["entry_point"]]
    except BaseException as error:
        _emit(marker, {"load_error": "%s: %s" % tuple(_describe(error))})
        return
    for index, (args, kwargs) in enumerate(calls):
        try:
            reply = {"i": index, "return": encode(function(*args, **kwargs))}
        except BaseException as error:
            reply = {"i": index, "raise": _describe(error)}
        _emit(marker, reply)


_probe()
os._exit(0)
