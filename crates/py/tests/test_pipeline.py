"""assay.Pipeline: same output as `assay score`, config errors that name the key, threads, processes, asyncio."""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
import sys
import threading
import tomllib
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

import assay
import workers
from conftest import PIPELINE


@pytest.fixture(scope="module")
def pipeline() -> assay.Pipeline:
    return assay.Pipeline.from_toml(PIPELINE)


def test_scores_equal_the_cli_on_the_same_records(pipeline, records, cli_score):
    expected = cli_score(records)
    got = pipeline.score(records)
    assert len(got) == len(records)
    assert got == expected
    assert {s["id"] for s in got} == {r["id"] for r in records}
    assert any(s["components"]["correct"] == 1.0 for s in got) and any(s["components"]["correct"] == 0.0 for s in got)


def test_from_dict_scores_like_from_toml(pipeline, records):
    config = tomllib.loads(PIPELINE.read_text())
    from_dict = assay.Pipeline.from_dict(config)
    assert from_dict.name == "text-math"
    assert from_dict.component_names == ["format", "correct", "repetition"]
    assert from_dict.score(records) == pipeline.score(records)


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"reward": [{"name": "a", "kind": "tags", "bogus": 1}]}, "key `bogus`"),
        ({"reward": [{"name": "a", "kind": "nope"}]}, "key `kind`"),
        ({"reward": [{"name": "a", "kind": "tags", "require": None}]}, "key `reward[0].require`"),
        ({"reward": [{"name": "a", "kind": "tags"}], "combine": {"gate": ["b"]}}, "key `gate`"),
        ({"reward": []}, "key `reward`"),
    ],
)
def test_config_errors_name_the_key(config, named):
    with pytest.raises(assay.ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        assay.Pipeline.from_dict(config)


def test_toml_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[reward]]\nname = "a"\nkind = "tags"\nweight = "heavy"\n')
    with pytest.raises(assay.ConfigError, match=r"bad\.toml.*key `weight`"):
        assay.Pipeline.from_toml(bad)
    assert issubclass(assay.ConfigError, ValueError)


def test_every_record_yields_one_score_and_bad_ones_are_named(pipeline):
    records = [
        {"completion": "<think>a</think><answer>4</answer>", "reference": "4"},
        5,
        {"completion": float("nan"), "reference": "4"},
        {"completion": "<think>a</think><answer>4</answer>"},
        {"completion": object()},
        {"completion": "<think>a</think><answer>2+2</answer>", "reference": 4},
    ]
    scores = pipeline.score(records)
    assert [s["id"] for s in scores] == list(range(6))
    assert [s["reward"] is None for s in scores] == [False, True, True, True, True, False]
    assert scores[1]["error"] == "record 1: expected a dict, found `int`"
    assert scores[2]["error"].startswith("record 2: field `completion`: NaN")
    assert "missing field `reference`" in scores[3]["error"]
    assert "field `completion`" in scores[4]["error"] and "`object`" in scores[4]["error"]
    with pytest.raises(TypeError):
        pipeline.score({"completion": "x"})


def test_group_field_chooses_the_groups(pipeline, records, cli_score):
    by_prompt = pipeline.score(records, group_field="prompt")
    assert by_prompt == cli_score(records, group_field="prompt")
    alone = pipeline.score(records, group_field="no_such_field")
    assert alone != pipeline.score(records)
    assert alone == cli_score(records, group_field="no_such_field")


def test_many_threads_at_once_get_the_single_threaded_answer(pipeline, records):
    expected = pipeline.score(records)
    chunks = [records[i::3] for i in range(3)]
    chunk_expected = [pipeline.score(chunk) for chunk in chunks]
    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [(i % 3, pool.submit(pipeline.score, chunks[i % 3])) for i in range(48)]
        futures += [(None, pool.submit(pipeline.score, records)) for _ in range(8)]
        for which, future in futures:
            assert future.result() == (expected if which is None else chunk_expected[which])


def test_scoring_releases_the_gil(pipeline, records):
    # With a 10 s switch interval, a thread holding the GIL would keep the main thread out for the whole call;
    # released, the main thread keeps ticking while the worker scores.
    big = records * 40
    inside, finished = threading.Event(), threading.Event()
    ticks = 0

    def work():
        inside.set()
        pipeline.score(big)
        finished.set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(10.0)
    try:
        worker = threading.Thread(target=work)
        worker.start()
        inside.wait()
        while not finished.wait(0.0005):
            ticks += 1
        worker.join()
    finally:
        sys.setswitchinterval(old)
    assert ticks >= 5


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_process_pool_workers_score_like_the_parent(pipeline, records, method):
    expected = pipeline.score(records)  # the parent has scored (its threads exist) before forking
    assert pickle.loads(pickle.dumps(pipeline)).score(records) == expected
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        sent = [pool.submit(workers.score_with, pipeline, records) for _ in range(3)]
        inherited = [pool.submit(workers.score_inherited, records) for _ in range(3)]
        for future in sent + inherited:
            assert future.result(timeout=120) == expected


def test_score_async_is_awaitable_and_concurrent(pipeline, records):
    expected = pipeline.score(records)

    async def main():
        return await asyncio.gather(*(pipeline.score_async(records) for _ in range(6)))

    assert asyncio.run(main()) == [expected] * 6
