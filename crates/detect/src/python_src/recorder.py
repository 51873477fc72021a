# Assay detector: TRUSTED argument recorder (appended to assay-code's codec.py). Runs the dataset's visible
# tests on the host -- never any candidate code -- with `candidate` bound to a recorder, and every simple
# statement inside functions wrapped in try/except so that a failing assert does not stop the recording.
# The recorder answers with the tests' own `_reference` when they define one (so tests that build later
# inputs from earlier answers keep going), else None. Then it derives perturbed inputs from the recorded
# ones. stdin: JSON {"tests", "entry_point", "max_probes", "seed"}; stdout: JSON {"visible": [...],
# "probes": [...]} with (args, kwargs) pairs in the codec's tagged encoding.
import ast
import copy
import json
import random
import resource
import sys

resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
resource.setrlimit(resource.RLIMIT_CPU, (20, 20))

MAX_VISIBLE = 64
BIG = 10**5


COMPOUND = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try, ast.FunctionDef, ast.ClassDef)


def _tolerant(body):
    """Wraps every simple statement of `body` (recursively) in `try: ... except Exception: pass`."""
    out = []
    for stmt in body:
        if isinstance(stmt, COMPOUND):
            for field in ("body", "orelse", "finalbody"):
                value = getattr(stmt, field, None)
                if value:
                    setattr(stmt, field, _tolerant(value))
            for handler in getattr(stmt, "handlers", []):
                handler.body = _tolerant(handler.body)
            out.append(stmt)
        else:
            handler = ast.ExceptHandler(type=ast.Name("Exception", ast.Load()), name=None, body=[ast.Pass()])
            out.append(ast.Try(body=[stmt], handlers=[handler], orelse=[], finalbody=[]))
    return out


def _record(tests, entry_point):
    calls = []
    namespace = {"__name__": "__assay_tests__"}
    tree = ast.parse(tests)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            node.body = _tolerant(node.body)
    ast.fix_missing_locations(tree)
    exec(compile(tree, "tests.py", "exec"), namespace)
    reference = namespace.get("_reference") or namespace.get("reference")

    def candidate(*args, **kwargs):
        if len(calls) < MAX_VISIBLE:
            calls.append(copy.deepcopy((args, kwargs)))
        if callable(reference):
            return reference(*args, **kwargs)
        return None

    if entry_point:
        namespace[entry_point] = candidate
    try:
        namespace["check"](candidate)
    except BaseException:
        pass
    return calls


def _variants(value, rng, depth=0):
    kind = type(value)
    if kind is bool:
        return [not value]
    if kind is int:
        if abs(value) > BIG:
            return [value + 1]
        return [value + 1, value - 1, value * 2, -value, value + 7]
    if kind is float:
        return [value * 1.5, value + 0.5, -value]
    if kind is str:
        out = [value[::-1], value + value[:1], value[1:], value.swapcase(), value * 2, value + "a", " " + value]
        return [v for v in out if v != value]
    if kind in (list, tuple):
        items = list(value)
        out = [items[::-1], items[:-1], items + items[:1], items * 2, items[1:]]
        try:
            ordered = sorted(items)
            out.append(ordered)
            if ordered == items and items:
                out.extend([items + [items[-1]], [items[0]] + items])
        except TypeError:
            pass
        if items and depth < 3:
            i = rng.randrange(len(items))
            for v in _variants(items[i], rng, depth + 1)[:3]:
                out.append(items[:i] + [v] + items[i + 1 :])
        if len(items) >= 2:
            try:
                if sorted(items) == items:
                    # A sorted input is probably required to be sorted: keep its variants sorted.
                    out = [v for v in out if sorted(v) == v]
            except TypeError:
                pass
        return [kind(v) for v in out if v != items]
    if kind is dict and value:
        keys = list(value)
        smaller = dict(value)
        del smaller[keys[-1]]
        return [smaller]
    return []


def _probes(calls, rng, limit):
    seen = {repr(c) for c in calls}
    found = []
    for args, kwargs in calls:
        for position in range(len(args)):
            for variant in _variants(args[position], rng):
                new = (args[:position] + (variant,) + args[position + 1 :], kwargs)
                key = repr(new)
                if key not in seen:
                    seen.add(key)
                    found.append(new)
    rng.shuffle(found)
    return found[:limit]


def main():
    request = json.loads(sys.stdin.read())
    rng = random.Random(request.get("seed", 0))
    calls = _record(request["tests"], request.get("entry_point"))
    probes = _probes(calls, rng, request.get("max_probes", 40))
    out = {"visible": [], "probes": []}
    for name, values in (("visible", calls), ("probes", probes)):
        for args, kwargs in values:
            try:
                out[name].append(encode((tuple(args), dict(kwargs))))
            except PlainDataError:
                pass
    sys.stdout.write(json.dumps(out))


main()
