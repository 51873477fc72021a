"""Records/s through the Python package: one batched `Pipeline.score`, TRL-sized batches, and one call per record
(verl's per-sample `compute_score`), against `assay score` on the same records in the same run.

Run (release wheel): maturin build --release -m crates/py/Cargo.toml --out /tmp/w && pip install /tmp/w/assay-*.whl
  python crates/py/bench/throughput.py --assay target/release/assay [--reps 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import assay
from assay.integrations import trl, verl

REPO = Path(__file__).resolve().parents[3]
MATH_DATA = REPO.parent / "shared" / "data" / "math" / "throughput.jsonl"


def workloads():
    text = [json.loads(line) for line in (REPO / "examples" / "rollouts.jsonl").read_text().splitlines()]
    text = [dict(r, id=f"{r['id']}-{i}") for i in range(400) for r in text][:20000]
    math_records = [
        {"id": r["id"], "completion": r["completion"], "reference": r["gold"], "group": r["id"][:-1]}
        for r in map(json.loads, MATH_DATA.read_text().splitlines())
    ]
    math_toml = '[[reward]]\nname = "correct"\nkind = "math"\nanswer_field = "reference"\ntimeout_ms = 1000\n'
    return [("text (examples/pipeline.toml)", (REPO / "examples" / "pipeline.toml").read_text(), text),
            ("math (throughput.jsonl)", math_toml, math_records)]


def best(reps, run):
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--assay", required=True, help="the assay CLI (release build) for the peer figure")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--per-call", type=int, default=2000, help="records scored one call at a time")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, toml_text, records in workloads():
            config = Path(tmp) / "p.toml"
            config.write_text(toml_text)
            source = Path(tmp) / "in.jsonl"
            source.write_text("".join(json.dumps(r) + "\n" for r in records))
            pipeline = assay.Pipeline.from_toml(config)
            n = len(records)
            cli = best(args.reps, lambda: subprocess.run(
                [args.assay, "score", "--config", str(config), "--input", str(source), "--output",
                 str(Path(tmp) / "out.jsonl"), "--quiet"], check=True))
            batch = best(args.reps, lambda: pipeline.score(records))
            reward = trl.reward_func(pipeline, group_field="group")
            chunks = [records[i:i + 64] for i in range(0, n, 64)]
            trl_time = best(args.reps, lambda: [
                reward(prompts=[None] * len(c), completions=[r["completion"] for r in c], completion_ids=None,
                       reference=[r["reference"] for r in c]) for c in chunks])
            few = records[:: max(1, n // args.per_call)]  # spread over the set: same mix as the batch
            single = best(args.reps, lambda: [pipeline.score([r]) for r in few])
            per_call = best(args.reps, lambda: [
                verl.compute_score("bench", r["completion"], r["reference"], None, pipeline=pipeline) for r in few])
            row = {
                "workload": label, "records": n,
                "cli_records_per_s": n / cli,
                "batch_records_per_s": n / batch,
                "trl_batches_of_64_records_per_s": n / trl_time,
                "one_record_per_call_records_per_s": len(few) / single,
                "verl_compute_score_per_call_records_per_s": len(few) / per_call,
                "per_call_overhead_us": 1e6 * (single / len(few) - batch / n),
            }
            row["batch_vs_cli"] = row["batch_records_per_s"] / row["cli_records_per_s"]
            row["batch_vs_per_call"] = row["batch_records_per_s"] / row["verl_compute_score_per_call_records_per_s"]
            results.append(row)
            print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}))


if __name__ == "__main__":
    main()
