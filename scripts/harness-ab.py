#!/usr/bin/env python3
"""Interleaved A/B runs of assay-code's `harness_rate` example binaries (this VM's speed drifts by ±15% over
minutes, so builds are only compared run against run, alternating). Prints per binary the median programs/s
of the canonical and `return None` passes and the median CPU ms per program by role.

    cp target/release/examples/harness_rate /tmp/harness_a    # build and copy each variant
    python3 scripts/harness-ab.py 8 /tmp/harness_a /tmp/harness_b
"""
import re
import statistics
import subprocess
import sys

RATE = re.compile(r"(canonical|return None): .* ([\d.]+) programs/s")
CPU = re.compile(
    r"total ([\d.]+) = rust [\d.]+ \+ sandbox servers ([\d.]+) \+ sandbox jobs ([\d.]+) \+ checker servers ([\d.]+)"
)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    runs, binaries = int(sys.argv[1]), sys.argv[2:]
    results = {binary: {"canonical": [], "return None": []} for binary in binaries}
    for _ in range(runs):
        for binary in binaries:
            output = subprocess.run([binary, "2"], capture_output=True, text=True, check=True).stdout
            label = None
            for line in output.splitlines():
                rate = RATE.search(line)
                if rate:
                    label = rate.group(1)
                    results[binary][label].append([float(rate.group(2))])
                cpu = CPU.search(line)
                if cpu and label:
                    results[binary][label][-1].extend(map(float, cpu.groups()))
    for binary in binaries:
        cells = []
        for label, rows in results[binary].items():
            median = [statistics.median(row[i] for row in rows) for i in range(5)]
            rates = [row[0] for row in rows]
            cells.append(
                "%s %.1f/s [%.1f-%.1f], CPU %.1f ms (servers %.1f, jobs %.1f, checkers %.1f)"
                % (label, median[0], min(rates), max(rates), *median[1:])
            )
        print("%s: %s" % (binary, " | ".join(cells)))


if __name__ == "__main__":
    main()
