"""Shared by the trainer adapters: resolving a pipeline argument and reporting unscored records."""

from __future__ import annotations

import logging
import os
from typing import Any

from .._pipeline import Pipeline

log = logging.getLogger("assay")

_by_path: dict[str, Pipeline] = {}


def resolve(pipeline: Any) -> Pipeline:
    """A ``Pipeline`` as is, or one loaded (once per process) from a TOML path."""
    if isinstance(pipeline, Pipeline):
        return pipeline
    if isinstance(pipeline, (str, os.PathLike)):
        path = os.path.abspath(os.fspath(pipeline))
        if path not in _by_path:
            _by_path[path] = Pipeline.from_toml(path)
        return _by_path[path]
    raise TypeError(f"expected an assay.Pipeline or a path to a pipeline TOML file, got {type(pipeline).__name__}")


def check_component(pipeline: Pipeline, component: str | None) -> None:
    if component is not None and component not in pipeline.component_names:
        raise ValueError(
            f"pipeline {pipeline.name!r} has no component {component!r}; it has {', '.join(pipeline.component_names)}"
        )


def value_of(score: dict, component: str | None) -> float | None:
    """The final reward, or one component's value; ``None`` when it has none."""
    if component is None:
        return score["reward"]
    value = score["components"].get(component)
    return None if value is None else float(value)


def report_errors(where: str, scores: list[dict]) -> int:
    """Logs (never hides) records that could not be scored; returns how many."""
    failed = [s["error"] for s in scores if s["error"] is not None]
    if failed:
        log.warning("%s: %d of %d records could not be scored; first: %s", where, len(failed), len(scores), failed[0])
    return len(failed)
