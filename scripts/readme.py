"""Assembles README.md from docs/readme/head.md, the per-kind sections in docs/kinds/, the topic sections in
docs/readme/sections/ (server, Python, detection, evaluation, model rewards, ...) and docs/readme/tail.md.

Run with: python3 scripts/readme.py   (the CLI test `readme_includes_every_kind_section` fails when README is stale)
"""
import pathlib

root = pathlib.Path(__file__).resolve().parent.parent
docs = root / "docs"
REWARD_ORDER = ["tags", "regex", "length", "repetition", "reasoning_steps", "exact_match", "f1", "contains",
                "keyword_chain", "choice", "math", "code", "process", "pbrs", "turning_point", "ensemble", "renorm"]

kinds = {p.stem: p.read_text().strip() for p in sorted((docs / "kinds").glob("*.md"))}
rewards = [k for k in REWARD_ORDER if k in kinds] + sorted(
    k for k in kinds if k not in REWARD_ORDER and not k.startswith("shape_"))
shapes = sorted(k for k in kinds if k.startswith("shape_"))

parts = [(docs / "readme" / "head.md").read_text().strip()]
parts.append("## Reward kinds\n\nEvery kind below has a runnable example in `examples/kinds/` (a pipeline and a few "
             "records showing credit and no credit); `assay kinds` lists them all.")
parts += [kinds[k] for k in rewards]
parts.append("## Shaping\n\nShapes transform the combined reward, in the order of the `[[shape]]` tables. Group "
             "shapes see the records whose `--group-field` values are equal (they need not be adjacent); failed "
             "records stay failed and take no part in the statistics. The formulas are those of "
             "`../shared/specs/reward-math.md`, and `crates/core/src/spec/` implements every function named by "
             "its test vectors (`crates/core/tests/it/vectors.rs` checks all of them).")
parts += [kinds[k] for k in shapes]
SECTION_ORDER = ["server", "python", "models", "detect", "eval"]
sections = {p.stem: p.read_text().strip() for p in sorted((docs / "readme" / "sections").glob("*.md"))}
parts += [sections[s] for s in SECTION_ORDER if s in sections]
parts += [sections[s] for s in sorted(sections) if s not in SECTION_ORDER]
parts.append((docs / "readme" / "tail.md").read_text().strip())
(root / "README.md").write_text("\n\n".join(parts) + "\n")
