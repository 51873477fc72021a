#!/usr/bin/env bash
# The real trainer run: TRL's GRPOTrainer takes one step on CPU with a tiny locally built model and Assay's TRL
# adapter as its reward (../shared/peers/trl_real_client.py, first as a probe of TRL's calling convention, then
# with crates/py/tests/data/six_times_seven.toml). torch + trl are about 3 GB (more when the CPU-only torch index
# is unreachable and PyPI's CUDA wheels come instead), so this is off by default: .ci/run calls it only when
# ASSAY_CI_TRL=1. The virtual environment is deleted afterwards unless ASSAY_TRL_KEEP_VENV=1.
# Usage: scripts/trl-real-run.sh [VENV_DIR]   (default /tmp/trlvenv)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-/tmp/trlvenv}
client=../shared/peers/trl_real_client.py
pipeline=crates/py/tests/data/six_times_seven.toml
out=${ASSAY_TRL_OUT:-target/trl-real-run}
mkdir -p "$out"
[ "${ASSAY_TRL_KEEP_VENV:-0}" = 1 ] || trap 'rm -rf "$venv"' EXIT

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
pip() { "$venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir "$@"; }
"$venv/bin/python" -c "import torch" 2>/dev/null ||
  pip --timeout 20 --retries 0 --index-url https://download.pytorch.org/whl/cpu torch==2.15.0 ||
  pip torch==2.15.0
pip trl==1.16.0 maturin==1.16.0
rm -rf "$out/wheels"
"$venv/bin/maturin" build --quiet --release -m crates/py/Cargo.toml --out "$out/wheels"
pip --force-reinstall --no-deps "$out"/wheels/assay-*.whl

echo "== probe (TRL's calling convention)"
"$venv/bin/python" "$client" 2>"$out/probe.log" | tail -n 1 | tee "$out/probe.json"
echo "== one GRPO step with Assay's adapter as the reward ($pipeline)"
started=$SECONDS
"$venv/bin/python" "$client" "$pipeline" 2>"$out/run.log" | tail -n 1 | tee "$out/run.json"
echo "seconds: $((SECONDS - started))"

# The step must have logged Assay's reward under the pipeline's name, as a finite number.
"$venv/bin/python" - "$out/run.json" <<'PY'
import json, math, sys
logs = json.load(open(sys.argv[1]))["reward_logs"]
assert logs, "TRL logged no rewards"
mean = logs.get("rewards/six-times-seven/mean")
assert isinstance(mean, float) and math.isfinite(mean), f"no finite rewards/six-times-seven/mean in {logs}"
print(f"TRL logged rewards/six-times-seven/mean = {mean}, reward = {logs['reward']}, reward_std = {logs['reward_std']}")
PY
