"""The TRL adapter, called exactly as GRPOTrainer._calculate_rewards calls a reward function."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

import assay
from assay.integrations import trl
import workers
from conftest import PIPELINE


class TrainerState:
    """Stands in for transformers' TrainerState, which TRL passes as `trainer_state`."""

    global_step = 3


def trl_batch(records: list[dict]):
    """What TRL hands a reward function for a batch: prompts, completions, completion_ids and every other dataset
    column as a list (plus trainer objects)."""
    prompts = [r["prompt"] for r in records]
    completions = [r["completion"] for r in records]
    columns = {key: [r.get(key) for r in records] for key in ("reference", "id", "group")}
    return prompts, completions, columns


def call(reward, records, conversational=False):
    prompts, completions, columns = trl_batch(records)
    if conversational:
        prompts = [[{"role": "system", "content": "Be brief."}, {"role": "user", "content": p}] for p in prompts]
        completions = [[{"role": "assistant", "content": c}] for c in completions]
    completion_ids = [[ord(ch) % 50 for ch in str(c)[:8]] for c in completions]
    return reward(
        prompts=prompts,
        completions=completions,
        completion_ids=completion_ids,
        trainer_state=TrainerState(),
        log_extra=lambda column, values: None,
        log_metric=lambda name, value: None,
        **columns,
    )


@pytest.fixture(scope="module")
def pipeline():
    return assay.Pipeline.from_toml(PIPELINE)


def test_standard_completions_match_the_cli(pipeline, records, cli_score):
    reward = trl.reward_func(pipeline)
    got = call(reward, records)
    expected = [s["reward"] for s in cli_score(records, group_field="prompt")]
    assert got == expected
    assert all(isinstance(v, float) for v in got)
    assert reward.__name__ == "text-math"


def test_conversational_completions_score_like_standard_ones(pipeline, records):
    reward = trl.reward_func(pipeline, group_field="group")
    assert call(reward, records, conversational=True) == call(reward, records)


def test_one_component_per_reward_func(pipeline, records, cli_score):
    expected = cli_score(records, group_field="prompt")
    for name in pipeline.component_names:
        reward = trl.reward_func(pipeline, component=name)
        assert reward.__name__ == name
        assert call(reward, records) == [s["components"][name] for s in expected]
    with pytest.raises(ValueError, match="no component 'nope'"):
        trl.reward_func(pipeline, component="nope")


def test_unscorable_samples_are_none_and_logged(pipeline, caplog):
    records = [
        {"prompt": "2+2?", "completion": "<think>x</think><answer>4</answer>", "reference": "4"},
        {"prompt": "2+2?", "completion": "<think>x</think><answer>4</answer>", "reference": None},
    ]
    with caplog.at_level(logging.WARNING, logger="assay"):
        got = call(trl.reward_func(pipeline), records)
    assert got[0] is not None and got[1] is None
    assert "1 of 2 records could not be scored" in caplog.text and "missing field `reference`" in caplog.text
    by_component = call(trl.reward_func(pipeline, component="format"), records)
    assert by_component == [1.0, 1.0]


def test_a_toml_path_is_accepted(records):
    assert call(trl.reward_func(str(PIPELINE)), records[:12]) == call(trl.reward_func(PIPELINE), records[:12])


def test_async_reward_func_is_awaited_like_trl_does(pipeline, records):
    sync = trl.reward_func(pipeline)
    async_reward = trl.async_reward_func(pipeline)
    assert asyncio.iscoroutinefunction(async_reward)

    async def main():
        return await asyncio.gather(*(call(async_reward, records) for _ in range(4)))

    assert asyncio.run(main()) == [call(sync, records)] * 4


def test_from_threads_and_processes(pipeline, records):
    reward = trl.reward_func(pipeline)
    expected = call(reward, records)
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(f.result() == expected for f in [pool.submit(call, reward, records) for _ in range(16)])
    prompts, completions, columns = trl_batch(records)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        # The reward function closes over a Pipeline; forked workers inherit it.
        futures = [pool.submit(workers.trl_call, _Picklable(), prompts, completions, columns) for _ in range(2)]
        assert all(f.result(timeout=120) == expected for f in futures)


class _Picklable:
    """A reward function object that pickles by its pipeline path (closures do not pickle)."""

    def __call__(self, **kwargs):
        return trl.reward_func(PIPELINE)(**kwargs)


def test_the_real_run_pipeline_as_trl_1_16_calls_it():
    """scripts/trl-real-run.sh's pipeline, called with exactly the keyword arguments TRL 1.16's GRPOTrainer passed
    in the real run (its probe recorded: answer, completion_ids, log_extra, log_metric, trainer_state)."""
    path = os.path.join(os.path.dirname(__file__), "data", "six_times_seven.toml")
    reward = trl.reward_func(path)
    completions = ["<think> reasoning </think> <answer> 42 </answer>", "42 hello", "the answer is", "world world"]
    values = reward(
        prompts=["what is 6 times 7 ?"] * 4,
        completions=completions,
        completion_ids=[[5, 6, 7]] * 4,
        answer=["42"] * 4,
        trainer_state=TrainerState(),
        log_extra=lambda column, values: None,
        log_metric=lambda name, value: None,
    )
    # correct (1.0 for 42) + 0.2 x format (both tags present only in the first).
    assert values == [pytest.approx(1.2), pytest.approx(1.0), 0.0, 0.0]
    assert reward.__name__ == "six-times-seven"  # TRL logs rewards/six-times-seven/mean
