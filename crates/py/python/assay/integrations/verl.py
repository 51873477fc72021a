"""verl ``custom_reward_function`` adapter.

Per sample (verl's default ``naive`` reward manager and its reward loop)::

    custom_reward_function.path=<this file or a file importing it>  custom_reward_function.name=compute_score
    +custom_reward_function.reward_kwargs.pipeline=/abs/path/pipeline.toml

Batched (``reward_model.reward_manager=batch``, ``custom_reward_function.name=compute_score_batch``), which
scores the whole batch in one parallel call. The pipeline can also come from the ``ASSAY_PIPELINE`` environment
variable.

Each sample becomes the record ``{"data_source", "completion": solution_str, "reference": ground_truth,
**extra_info}`` (``extra_info`` keys never replace the first three). The result is verl's dict form: ``score``
plus one key per pipeline component and ``assay_error`` (1.0 when the record could not be scored; ``score`` is then
``error_score`` and a warning names the record and field), which verl logs as ``reward_extra_info``.
"""

from __future__ import annotations

import math
import os
from typing import Any, Iterable

from .._pipeline import Pipeline
from . import _common


def _pipeline(pipeline: Pipeline | str | None) -> Pipeline:
    if pipeline is None:
        pipeline = os.environ.get("ASSAY_PIPELINE")
        if not pipeline:
            raise ValueError(
                "no pipeline: pass pipeline=... (e.g. custom_reward_function.reward_kwargs.pipeline) "
                "or set ASSAY_PIPELINE to a pipeline TOML path"
            )
    return _common.resolve(pipeline)


def record(data_source: Any, solution_str: Any, ground_truth: Any, extra_info: Any) -> dict:
    """The record one verl sample becomes."""
    out = dict(extra_info) if isinstance(extra_info, dict) else {}
    out["data_source"] = data_source
    out["completion"] = solution_str
    if ground_truth is not None:
        out["reference"] = ground_truth
    return out


def _result(score: dict, component: str | None, names: list[str], error_score: float, return_dict: bool):
    value = _common.value_of(score, component)
    failed = value is None
    if failed:
        value = error_score
    if not return_dict:
        return float(value)
    out = {"score": float(value)}
    for name in names:
        key = "component_score" if name == "score" else name
        component_value = score["components"].get(name)
        out[key] = math.nan if component_value is None else float(component_value)
    out["assay_error"] = 1.0 if failed else 0.0
    return out


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict | None = None,
    *,
    pipeline: Pipeline | str | None = None,
    component: str | None = None,
    error_score: float = 0.0,
    return_dict: bool = True,
    **kwargs: Any,
) -> dict | float:
    """verl's per-sample ``compute_score``: a dict with ``score`` (or a float with ``return_dict=False``).
    Other keyword arguments verl passes (e.g. ``reward_router_address``) are accepted and ignored."""
    resolved = _pipeline(pipeline)
    _common.check_component(resolved, component)
    scores = resolved.score([record(data_source, solution_str, ground_truth, extra_info)])
    _common.report_errors("verl compute_score", scores)
    return _result(scores[0], component, resolved.component_names, error_score, return_dict)


async def compute_score_async(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict | None = None,
    *,
    pipeline: Pipeline | str | None = None,
    component: str | None = None,
    error_score: float = 0.0,
    return_dict: bool = True,
    **kwargs: Any,
) -> dict | float:
    """:func:`compute_score` as ``async def`` (verl's reward loop awaits it without blocking its event loop)."""
    resolved = _pipeline(pipeline)
    _common.check_component(resolved, component)
    scores = await resolved.score_async([record(data_source, solution_str, ground_truth, extra_info)])
    _common.report_errors("verl compute_score", scores)
    return _result(scores[0], component, resolved.component_names, error_score, return_dict)


def compute_score_batch(
    data_sources: Iterable[str],
    solution_strs: Iterable[str],
    ground_truths: Iterable[Any],
    extra_infos: Iterable[dict | None] | None = None,
    *,
    pipeline: Pipeline | str | None = None,
    component: str | None = None,
    group_field: str = "group",
    error_score: float = 0.0,
    return_dict: bool = True,
    **kwargs: Any,
) -> list[dict | float]:
    """verl's batched form (``BatchRewardManager`` calls it with these keyword names): one result per sample, the
    whole batch scored in one parallel call. Samples sharing ``group_field`` (a key of ``extra_info``) form one
    group for group shaping."""
    resolved = _pipeline(pipeline)
    _common.check_component(resolved, component)
    data_sources, solution_strs, ground_truths = list(data_sources), list(solution_strs), list(ground_truths)
    extra_infos = [None] * len(solution_strs) if extra_infos is None else list(extra_infos)
    lengths = {len(data_sources), len(solution_strs), len(ground_truths), len(extra_infos)}
    if len(lengths) != 1:
        raise ValueError(
            f"batch columns differ in length: data_sources {len(data_sources)}, solution_strs {len(solution_strs)}, "
            f"ground_truths {len(ground_truths)}, extra_infos {len(extra_infos)}"
        )
    records = [record(*row) for row in zip(data_sources, solution_strs, ground_truths, extra_infos)]
    scores = resolved.score(records, group_field=group_field)
    _common.report_errors("verl compute_score_batch", scores)
    names = resolved.component_names
    return [_result(score, component, names, error_score, return_dict) for score in scores]
