"""Shared fixtures: the `assay` CLI (the reference every adapter is checked against) and test records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parents[2]
SHARED = REPO.parent / "shared"
PIPELINE = TESTS / "data" / "text_math.toml"

sys.path.insert(0, str(TESTS))


def _cli() -> Path:
    """The CLI named by ASSAY_BIN (set by .ci/run), else one cargo builds from this checkout."""
    named = os.environ.get("ASSAY_BIN")
    if named:
        return Path(named)
    subprocess.run(["cargo", "build", "-q", "-p", "assay-cli"], cwd=REPO, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "debug" / "assay"


@pytest.fixture(scope="session")
def assay_bin() -> Path:
    path = _cli()
    assert path.is_file(), f"no assay CLI at {path}"
    return path


@pytest.fixture(scope="session")
def cli_score(assay_bin):
    """Runs `assay score` on records and returns its output records."""

    def run(records: list[dict], config: Path = PIPELINE, group_field: str = "group") -> list[dict]:
        with tempfile.TemporaryDirectory() as tmp:
            source, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
            source.write_text("".join(json.dumps(r) + "\n" for r in records))
            subprocess.run(
                [str(assay_bin), "score", "--config", str(config), "--input", str(source), "--output", str(out),
                 "--group-field", group_field, "--quiet"],
                check=True,
            )
            return [json.loads(line) for line in out.read_text().splitlines()]

    return run


def load_records() -> list[dict]:
    """The bundled think/answer rollouts plus real GSM8K/MATH completions (grouped by problem)."""
    records = [json.loads(line) for line in (REPO / "examples" / "rollouts.jsonl").read_text().splitlines()]
    real = (SHARED / "data" / "math" / "real_completions.jsonl").read_text().splitlines()[:240]
    for line in real:
        row = json.loads(line)
        records.append(
            {"id": row["id"], "prompt": row["problem"], "completion": row["completion"], "reference": row["gold"],
             "group": row["problem"]}
        )
    return records


@pytest.fixture(scope="session")
def records() -> list[dict]:
    return load_records()
