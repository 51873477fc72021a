#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain (run as root on Debian; idempotent):
#  - the rewardbench package's scoring code, the peer `assay eval rewardbench` must equal
#    (--no-deps: its declared dependencies are the whole model stack; scoring needs only pandas and datasets,
#    see crates/eval/tests/rewardbench_peer.py);
#  - Debian's chromium, which renders `assay report` in the real-browser test.
set -euo pipefail
pip() { python3 -m pip install --quiet --disable-pip-version-check "$@"; }
python3 -c "import rewardbench" 2>/dev/null || pip --no-deps rewardbench==0.1.4
python3 -c "import pandas, datasets" 2>/dev/null || pip pandas==3.1.1 datasets==5.2.0
command -v chromium >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
}
