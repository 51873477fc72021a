"""Functions process-pool workers run (importable by spawned children)."""

from __future__ import annotations

import assay

from conftest import PIPELINE, load_records

# Built at import: with the fork start method, children inherit this object from a parent that already scored.
INHERITED = assay.Pipeline.from_toml(PIPELINE)


def score_with(pipeline: assay.Pipeline, records: list[dict]) -> list[dict]:
    return pipeline.score(records)


def score_inherited(records: list[dict]) -> list[dict]:
    return INHERITED.score(records)


def trl_call(reward, prompts, completions, columns):
    return reward(prompts=prompts, completions=completions, completion_ids=None, **columns)


def verl_call(compute_score, row):
    return compute_score(**row)


def all_records() -> list[dict]:
    return load_records()
