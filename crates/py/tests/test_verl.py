"""The verl adapter, called as verl's reward managers call a custom `compute_score`."""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from assay.integrations import verl
import workers
from conftest import PIPELINE


@pytest.fixture(scope="module")
def unshaped(tmp_path_factory) -> Path:
    """The test pipeline without group shaping (per-sample calls see one sample at a time)."""
    text = PIPELINE.read_text().split("[[shape]]")[0]
    path = tmp_path_factory.mktemp("verl") / "unshaped.toml"
    path.write_text(text)
    return path


def verl_rows(records: list[dict]) -> list[dict]:
    """What verl holds per sample: data_source, the decoded response, reward_model.ground_truth, extra_info."""
    return [
        {"data_source": "openai/gsm8k", "solution_str": r["completion"], "ground_truth": r["reference"],
         "extra_info": {"index": i, "group": r["group"], "question": r["prompt"]}}
        for i, r in enumerate(records)
    ]


def as_records(rows: list[dict]) -> list[dict]:
    return [
        {**row["extra_info"], "data_source": row["data_source"], "completion": row["solution_str"],
         "reference": row["ground_truth"]}
        for row in rows
    ]


def expected_dict(score: dict) -> dict:
    out = {"score": score["reward"]}
    out.update({k: (math.nan if v is None else v) for k, v in score["components"].items()})
    out["assay_error"] = 0.0
    return out


def test_per_sample_calls_match_the_cli(records, unshaped, cli_score):
    rows = verl_rows(records)
    reward_kwargs = {"pipeline": str(unshaped)}  # custom_reward_function.reward_kwargs
    # NaiveRewardManager: compute_score(data_source=..., solution_str=..., ground_truth=..., extra_info=...)
    got = [verl.compute_score(**row, **reward_kwargs) for row in rows]
    expected = cli_score(as_records(rows), config=unshaped)
    assert got == [expected_dict(s) for s in expected]
    floats = [verl.compute_score(**row, return_dict=False, **reward_kwargs) for row in rows[:20]]
    assert floats == [s["reward"] for s in expected[:20]]


def test_batch_form_matches_the_cli_and_shapes_groups(records, cli_score):
    rows = verl_rows(records)
    column = lambda key: np.array([row[key] for row in rows], dtype=object)  # noqa: E731
    # BatchRewardManager: compute_score(data_sources=..., solution_strs=..., ground_truths=..., extra_infos=...)
    got = verl.compute_score_batch(
        data_sources=column("data_source"),
        solution_strs=column("solution_str"),
        ground_truths=column("ground_truth"),
        extra_infos=column("extra_info"),
        pipeline=str(PIPELINE),
    )
    expected = cli_score(as_records(rows))
    assert got == [expected_dict(s) for s in expected]
    assert len({round(g["score"], 6) for g in got}) > 2


def test_errors_are_flagged_not_silent(unshaped, caplog):
    row = {"data_source": "x", "solution_str": "<think>a</think><answer>4</answer>", "ground_truth": None}
    with caplog.at_level(logging.WARNING, logger="assay"):
        result = verl.compute_score(**row, pipeline=str(unshaped), error_score=-1.0)
    assert result["score"] == -1.0 and result["assay_error"] == 1.0 and math.isnan(result["correct"])
    assert result["format"] == 1.0
    assert "missing field `reference`" in caplog.text


def test_pipeline_from_the_environment(unshaped, monkeypatch):
    row = {"data_source": "x", "solution_str": "<think>a</think><answer>$\\boxed{4}$</answer>", "ground_truth": "4"}
    monkeypatch.delenv("ASSAY_PIPELINE", raising=False)
    with pytest.raises(ValueError, match="ASSAY_PIPELINE"):
        verl.compute_score(**row)
    monkeypatch.setenv("ASSAY_PIPELINE", str(unshaped))
    assert verl.compute_score(**row)["score"] == pytest.approx(1.2)
    assert verl.compute_score(**row, component="format", return_dict=False) == 1.0


def test_async_form_in_an_event_loop(records, unshaped):
    rows = verl_rows(records)[:40]
    sync = [verl.compute_score(**row, pipeline=str(unshaped)) for row in rows]

    async def main():
        # verl's reward loop awaits an async compute_score per sample, many at once.
        return await asyncio.gather(*(verl.compute_score_async(**row, pipeline=str(unshaped)) for row in rows))

    assert asyncio.run(main()) == sync


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_threads_and_process_pools(records, unshaped, method):
    rows = verl_rows(records)[:60]
    score = functools.partial(verl.compute_score, pipeline=str(unshaped))
    expected = [score(**row) for row in rows]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(lambda row: score(**row), rows)) == expected
    # PRIME-style managers send compute_score to a ProcessPoolExecutor.
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context(method)) as pool:
        assert list(pool.map(workers.verl_call, [score] * len(rows), rows, timeout=120)) == expected
