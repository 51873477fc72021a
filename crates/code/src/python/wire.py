# Plain-data wire format between the trusted checker and the sandboxed driver (assay-code), shared by both.
#
# Only plain data crosses: None, bool, int, float, str, bytes, list, tuple, dict, set, frozenset. A message
# is one JSON array (["call", args, kwargs], ["return", value], ...). Values use JSON's own types where they
# match exactly (null, true/false, numbers, strings, arrays = lists) and a one-key object as a tag for the
# rest: {"t": [...]} tuple, {"e": [...]} set, {"z": [...]} frozenset, {"d": [[k, v], ...]} dict, {"y": hex}
# bytes. Every JSON object in a message must be such a tag, so a message has exactly one reading.
#
# Why not the tagged tree of codec.py (["i", "3"] per value): rebuilding every node in Python cost ~100 µs
# of CPU per call and side for a list of ten ints. Here the C json scanner builds lists, numbers and strings
# itself; Python runs only for tags, and the encoder checks the element types of a container in one C-level
# pass (`_ATOMS.issuperset(map(type, items))`).
#
# `dump` accepts values by EXACT type only (a subclass of int or list, an object with a custom __eq__, a
# mock: all refused). `load` builds values from JSON and tags only (never pickle, never eval) and
# re-validates every tag, because the sandboxed side is untrusted and may send any bytes it likes. Caps: the
# frame size, the interpreter's digit limit for ints (sys.get_int_max_str_digits, 4300 by default), the
# json scanner's recursion limit for depth, and MAX_DEPTH on the encoding side.
# Frames on the socket: 4-byte big-endian length, then the JSON text (ASCII: non-ASCII is \u-escaped).
import json
import struct

MAX_DEPTH = 100
MAX_FRAME = 16 << 20

_ATOMS = frozenset((type(None), bool, int, float, str))


class PlainDataError(Exception):
    """A value that is not plain data, or a message that is not a valid encoding of plain data."""


def _wire(value, depth):
    kind = type(value)
    if kind in _ATOMS:
        return value
    if depth > MAX_DEPTH:
        raise PlainDataError("nested deeper than %d levels" % MAX_DEPTH)
    if kind is list:
        if _ATOMS.issuperset(map(type, value)):
            return value
        return [_wire(item, depth + 1) for item in list.__iter__(value)]
    if kind is tuple:
        if _ATOMS.issuperset(map(type, value)):
            return {"t": value}
        return {"t": [_wire(item, depth + 1) for item in tuple.__iter__(value)]}
    if kind is dict:
        return {"d": [[_wire(key, depth + 1), _wire(item, depth + 1)] for key, item in dict.items(value)]}
    if kind is set or kind is frozenset:
        items = list(kind.__iter__(value))
        if not _ATOMS.issuperset(map(type, items)):
            items = [_wire(item, depth + 1) for item in items]
        return {"e" if kind is set else "z": items}
    if kind is bytes:
        return {"y": bytes.hex(value)}
    raise PlainDataError(
        "not plain data (only None, bool, int, float, str, bytes, list, tuple, dict, set, frozenset are "
        "accepted, by exact type): got an instance of %s" % type.__repr__(kind)
    )


def _pairs_to_dict(pairs):
    result = {}
    for pair in pairs:
        if type(pair) is not list or len(pair) != 2:
            raise PlainDataError("malformed dict entry")
        result[pair[0]] = pair[1]
    return result


def _untag(obj):
    """The json scanner's object hook: every JSON object must be one tag; builds its value."""
    if len(obj) != 1:
        raise PlainDataError("malformed tag")
    ((tag, payload),) = obj.items()
    try:
        if tag == "y" and type(payload) is str:
            return bytes.fromhex(payload)
        if type(payload) is not list:
            raise PlainDataError("malformed tag")
        if tag == "t":
            return tuple(payload)
        if tag == "e":
            return set(payload)
        if tag == "z":
            return frozenset(payload)
        if tag == "d":
            return _pairs_to_dict(payload)
    except TypeError:
        raise PlainDataError("unhashable set element or dict key") from None
    except ValueError:
        raise PlainDataError("malformed bytes") from None
    raise PlainDataError("unknown tag")


# Built once: json.dumps/json.loads with options build a new encoder or decoder per call.
_ENCODER = json.JSONEncoder(allow_nan=True, check_circular=False, separators=(",", ":"))
_DECODER = json.JSONDecoder(object_hook=_untag)


def dump(message):
    """The frame for `message` (a list whose items are plain data); raises PlainDataError otherwise."""
    try:
        text = _ENCODER.encode([_wire(item, 0) for item in message])
    except RecursionError:
        raise PlainDataError("nested too deeply") from None
    except ValueError as error:  # e.g. an int beyond the interpreter's digit limit
        raise PlainDataError(str(error)) from None
    if len(text) > MAX_FRAME:
        raise PlainDataError("message of %d bytes exceeds %d" % (len(text), MAX_FRAME))
    return struct.pack(">I", len(text)) + text.encode("ascii")


def load(raw):
    """The message (a list) in a frame's payload; raises PlainDataError for anything else."""
    try:
        text = raw.decode("ascii")
        # The C scanner itself, without JSONDecoder.decode's two whitespace regexes around it (half the
        # cost of a small message); dump writes no whitespace, so any is malformed, as is anything after.
        message, end = _DECODER.scan_once(text, 0)
    except PlainDataError:
        raise
    except (ValueError, RecursionError, StopIteration):  # UnicodeDecodeError, JSONDecodeError: ValueErrors
        raise PlainDataError("malformed message") from None
    if end != len(text) or type(message) is not list or not message or type(message[0]) is not str:
        raise PlainDataError("malformed message")
    return message


def _recv_exact(sock, n):
    chunks = []
    while n > 0:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


# A typical message (a call, a small return value) arrives whole in one read, header included.
FIRST_READ = 8192


def recv_message(sock):
    """One message, or None at end of stream. Raises PlainDataError on oversized or malformed frames, and
    on bytes beyond the message: the peers take turns, so nothing may follow a message unasked."""
    data = sock.recv(FIRST_READ)
    if not data:
        return None
    if len(data) < 4:
        rest = _recv_exact(sock, 4 - len(data))
        if rest is None:
            return None
        data += rest
    (length,) = struct.unpack(">I", data[:4])
    if length > MAX_FRAME:
        raise PlainDataError("frame of %d bytes exceeds %d" % (length, MAX_FRAME))
    if len(data) > 4 + length:
        raise PlainDataError("bytes after a message, before it was answered")
    raw = data[4:]
    if len(raw) < length:
        rest = _recv_exact(sock, length - len(raw))
        if rest is None:
            return None
        raw += rest
    return load(raw)
