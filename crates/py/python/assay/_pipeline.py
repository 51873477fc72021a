"""The public ``Pipeline``: the native pipeline plus async scoring, pickling and fork safety."""

from __future__ import annotations

import asyncio
import copy
import os
from typing import Any, Iterable, Mapping

from . import _assay


class Pipeline:
    """A validated reward pipeline. Thread-safe: ``score`` releases the GIL, so many threads can score at once.

    Build it with :meth:`from_toml`, :meth:`from_toml_str` or :meth:`from_dict`. It pickles (by its config), so it
    can be sent to process-pool workers, and a forked child rebuilds its native state on first use.
    """

    __slots__ = ("_native", "_pid", "_source")

    def __init__(self, native: Any, source: tuple[str, Any, str]):
        self._native = native
        self._pid = os.getpid()
        self._source = source

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> "Pipeline":
        """Loads a pipeline TOML file (the same file ``assay score --config`` takes)."""
        path = os.fspath(path)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        return cls.from_toml_str(text, origin=path)

    @classmethod
    def from_toml_str(cls, text: str, origin: str = "<string>") -> "Pipeline":
        """Builds a pipeline from TOML text; ``origin`` names it in error messages."""
        return cls(_assay.Pipeline.from_toml_str(text, origin), ("toml", text, origin))

    @classmethod
    def from_dict(cls, config: Mapping[str, Any], origin: str = "<dict>") -> "Pipeline":
        """Builds a pipeline from a dict shaped like the TOML file, e.g.
        ``{"reward": [{"name": "correct", "kind": "math"}], "combine": {"mode": "sum"}}``."""
        config = copy.deepcopy(dict(config))
        return cls(_assay.Pipeline.from_dict(config, origin), ("dict", config, origin))

    @property
    def name(self) -> str:
        """The pipeline's ``name``."""
        return self._native.name

    @property
    def component_names(self) -> list[str]:
        """Reward names in declaration order (the keys of each score's ``components``)."""
        return self._native.component_names

    def score(self, records: Iterable[Mapping[str, Any]], group_field: str = "group") -> list[dict]:
        """Scores records as one batch: one dict per record, in order, with the fields ``assay score`` writes
        (``id``, ``reward``, ``components``, ``error``, ``diagnostics``). ``reward`` is ``None`` exactly when the
        record could not be scored, and ``error`` then names the record and the field. Records sharing a value of
        ``group_field`` form one group for group shaping."""
        return self._current().score(records, group_field)

    async def score_async(self, records: Iterable[Mapping[str, Any]], group_field: str = "group") -> list[dict]:
        """:meth:`score` on a worker thread, awaitable from an event loop without blocking it."""
        records = list(records)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.score, records, group_field)

    def _current(self) -> Any:
        # A forked child must not reuse the parent's native state (sandbox workers, threads): rebuild it once.
        if self._pid != os.getpid():
            self._native = _build(self._source)
            self._pid = os.getpid()
        return self._native

    def __reduce__(self):
        return (_rebuild, (self._source,))

    def __repr__(self) -> str:
        return f"Pipeline(name={self.name!r}, components={self.component_names!r})"


def _build(source: tuple[str, Any, str]) -> Any:
    kind, payload, origin = source
    if kind == "toml":
        return _assay.Pipeline.from_toml_str(payload, origin)
    return _assay.Pipeline.from_dict(payload, origin)


def _rebuild(source: tuple[str, Any, str]) -> Pipeline:
    return Pipeline(_build(source), source)
