# Tagged plain-data codec: the format of `Harness::call_each` results (probe.py, in the sandbox) and of the
# hack detector's recorded calls (assay-detect's recorder.py, trusted), which Rust reads as JSON trees.
# The checker and the function driver talk the faster wire.py instead.
#
# Only plain data is encoded: None, bool, int, float, str, bytes, list, tuple, dict, set, frozenset, as JSON
# trees with an explicit tag per value so that tuples stay tuples and sets stay sets. `encode` accepts values
# by EXACT type only (a subclass of int or list, an object with a custom __eq__, a mock: all refused).
# `decode` builds values from tags only (never pickle, never eval) and
# re-validates every node, because the sandboxed side is untrusted and may send any bytes it likes.

MAX_DEPTH = 100
MAX_NODES = 1_000_000
MAX_INT_DIGITS = 4000
MAX_FLOAT_TEXT = 64
_INT_BOUND = 10**MAX_INT_DIGITS


class PlainDataError(Exception):
    """A value that is not plain data, or a tree that is not a valid encoding of plain data."""


def _spend(budget, depth):
    """Counts one more value against the shared caps on depth and on the number of values."""
    if depth > MAX_DEPTH:
        raise PlainDataError("nested deeper than %d levels" % MAX_DEPTH)
    budget[0] -= 1
    if budget[0] < 0:
        raise PlainDataError("more than %d values" % MAX_NODES)


def encode(value):
    budget = [MAX_NODES]

    def enc(v, depth):
        _spend(budget, depth)
        kind = type(v)
        if v is None:
            return ["n"]
        if kind is bool:
            return ["b", v]
        if kind is int:
            if not -_INT_BOUND < v < _INT_BOUND:
                raise PlainDataError("int with more than %d digits" % MAX_INT_DIGITS)
            return ["i", int.__repr__(v)]
        if kind is float:
            return ["f", float.__repr__(v)]
        if kind is str:
            return ["s", v]
        if kind is bytes:
            return ["y", bytes.hex(v)]
        if kind is list:
            return ["l", [enc(x, depth + 1) for x in list.__iter__(v)]]
        if kind is tuple:
            return ["t", [enc(x, depth + 1) for x in tuple.__iter__(v)]]
        if kind is set:
            return ["e", [enc(x, depth + 1) for x in set.__iter__(v)]]
        if kind is frozenset:
            return ["z", [enc(x, depth + 1) for x in frozenset.__iter__(v)]]
        if kind is dict:
            return ["d", [[enc(k, depth + 1), enc(x, depth + 1)] for k, x in dict.items(v)]]
        raise PlainDataError("not plain data (only None, bool, int, float, str, bytes, list, tuple, dict, set, "
                             "frozenset are returned, by exact type): got an instance of %s" % type.__repr__(kind))

    try:
        return enc(value, 0)
    except RecursionError:
        raise PlainDataError("nested too deeply") from None


def decode(tree):
    budget = [MAX_NODES]

    def items(payload, depth):
        if type(payload) is not list:
            raise PlainDataError("malformed container")
        return [dec(x, depth + 1) for x in payload]

    def dec(node, depth):
        _spend(budget, depth)
        if type(node) is not list or not node or type(node[0]) is not str:
            raise PlainDataError("malformed value")
        tag = node[0]
        if tag == "n" and len(node) == 1:
            return None
        if len(node) != 2:
            raise PlainDataError("malformed value")
        payload = node[1]
        if tag == "b" and type(payload) is bool:
            return payload
        if tag == "i" and type(payload) is str:
            digits = payload[1:] if payload.startswith("-") else payload
            if not (0 < len(digits) <= MAX_INT_DIGITS and digits.isascii() and digits.isdigit()):
                raise PlainDataError("malformed int")
            return int(payload)
        if tag == "f" and type(payload) is str and len(payload) <= MAX_FLOAT_TEXT and payload.isascii():
            try:
                return float(payload)
            except ValueError:
                raise PlainDataError("malformed float") from None
        if tag == "s" and type(payload) is str:
            return payload
        if tag == "y" and type(payload) is str:
            try:
                return bytes.fromhex(payload)
            except ValueError:
                raise PlainDataError("malformed bytes") from None
        if tag == "l":
            return items(payload, depth)
        if tag == "t":
            return tuple(items(payload, depth))
        try:
            if tag == "e":
                return set(items(payload, depth))
            if tag == "z":
                return frozenset(items(payload, depth))
            if tag == "d" and type(payload) is list:
                result = {}
                for pair in payload:
                    if type(pair) is not list or len(pair) != 2:
                        raise PlainDataError("malformed dict entry")
                    result[dec(pair[0], depth + 1)] = dec(pair[1], depth + 1)
                return result
        except TypeError:
            raise PlainDataError("unhashable set element or dict key") from None
        raise PlainDataError("unknown or malformed tag")

    try:
        return dec(tree, 0)
    except RecursionError:
        raise PlainDataError("nested too deeply") from None
