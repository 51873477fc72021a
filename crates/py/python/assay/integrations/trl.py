"""TRL ``reward_funcs`` adapter.

TRL's ``GRPOTrainer`` calls each reward function as
``f(prompts=..., completions=..., completion_ids=..., **columns)`` where ``columns`` holds every dataset column
(one list entry per completion) plus trainer objects such as ``trainer_state``, and expects ``list[float | None]``
back (``None`` = not applicable; TRL turns it into NaN and skips it).

>>> from trl import GRPOTrainer                                      # doctest: +SKIP
>>> reward = assay.integrations.trl.reward_func(assay.Pipeline.from_toml("pipeline.toml"))
>>> trainer = GRPOTrainer(model=..., reward_funcs=[reward], ...)     # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Callable

from .._pipeline import Pipeline
from . import _common

# Keyword arguments TRL passes that are not dataset columns.
_TRAINER_KWARGS = frozenset({"trainer_state", "log_extra", "log_metric", "environments"})


def records_from_call(prompts: list, completions: list, columns: dict[str, Any]) -> list[dict]:
    """One record per completion: ``prompt``, ``completion`` and every per-sample dataset column."""
    n = len(completions)
    if prompts is not None and len(prompts) != n:
        raise ValueError(f"TRL passed {len(prompts)} prompts for {n} completions")
    per_sample = {
        key: values
        for key, values in columns.items()
        if key not in _TRAINER_KWARGS and isinstance(values, (list, tuple)) and len(values) == n
    }
    records = []
    for i in range(n):
        record = {key: values[i] for key, values in per_sample.items()}
        if prompts is not None:
            record["prompt"] = prompts[i]
        record["completion"] = completions[i]
        records.append(record)
    return records


def reward_func(
    pipeline: Pipeline | str,
    component: str | None = None,
    *,
    group_field: str = "prompt",
    name: str | None = None,
) -> Callable[..., list[float | None]]:
    """A TRL reward function scoring with ``pipeline`` (a ``Pipeline`` or a TOML path).

    Returns the pipeline's final ``reward`` per completion, or only ``component``'s value when given (so one
    pipeline can feed several ``reward_funcs`` entries with their own ``reward_weights``). Standard (str) and
    conversational (list of ``{"role", "content"}`` messages) completions both work. Completions sharing a prompt
    form one group for the pipeline's group shaping (``group_field`` picks another column). A record that cannot be
    scored yields ``None`` and a warning on the ``assay`` logger, never a silent 0.
    """
    pipeline = _common.resolve(pipeline)
    _common.check_component(pipeline, component)
    label = name or component or pipeline.name

    def assay_reward(prompts=None, completions=None, completion_ids=None, **kwargs) -> list[float | None]:
        records = records_from_call(prompts, completions, kwargs)
        scores = pipeline.score(records, group_field=group_field)
        _common.report_errors(f"reward {label!r}", scores)
        return [_common.value_of(score, component) for score in scores]

    assay_reward.__name__ = label
    assay_reward.__qualname__ = label
    return assay_reward


def async_reward_func(
    pipeline: Pipeline | str,
    component: str | None = None,
    *,
    group_field: str = "prompt",
    name: str | None = None,
) -> Callable[..., Any]:
    """:func:`reward_func` as an ``async def`` (TRL awaits async reward functions concurrently with the others)."""
    pipeline = _common.resolve(pipeline)
    _common.check_component(pipeline, component)
    label = name or component or pipeline.name

    async def assay_reward(prompts=None, completions=None, completion_ids=None, **kwargs) -> list[float | None]:
        records = records_from_call(prompts, completions, kwargs)
        scores = await pipeline.score_async(records, group_field=group_field)
        _common.report_errors(f"reward {label!r}", scores)
        return [_common.value_of(score, component) for score in scores]

    assay_reward.__name__ = label
    assay_reward.__qualname__ = label
    return assay_reward
