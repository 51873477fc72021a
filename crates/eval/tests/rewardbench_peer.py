"""Scores a RewardBench score file with the `rewardbench` package's own scoring functions (the peer of
`assay eval rewardbench`) and prints the numbers as JSON.

Usage: python3 rewardbench_peer.py scores.jsonl [more.jsonl ...]  (one JSON line per file, in order)

`pip install --no-deps rewardbench==0.1.4 && pip install pandas datasets` is enough: the package's scoring code
(`rewardbench.utils.calculate_scores_per_section`, `reroll_and_score_dataset`, `process_single_model` and
`rewardbench.constants`) needs only numpy, pandas and datasets. The module imports torch, transformers, fastchat
and its model zoo at the top for model loading, which scoring never touches, so those names are bound to empty
placeholder modules here instead of installing several GB of ML stack.
"""

import importlib.util
import json
import sys
import types


def placeholder(name, **attrs):
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    return module


def import_scoring_code():
    import datasets  # noqa: F401  (real; imported before the placeholders so it sees no fake torch)

    for name in ("torch", "transformers", "fastchat"):
        placeholder(name)
    placeholder("transformers", PreTrainedTokenizer=object)
    placeholder("fastchat.conversation", Conversation=object)
    spec = importlib.util.find_spec("rewardbench")
    if spec is None:
        sys.exit("rewardbench is not installed: pip install --no-deps rewardbench==0.1.4 && pip install pandas datasets")
    # Bind the package without running its __init__ (which imports the model zoo); its submodules load normally.
    package = placeholder("rewardbench", __path__=list(spec.submodule_search_locations))
    placeholder("rewardbench.models", REWARD_MODEL_CONFIG={}, DPO_MODEL_CONFIG={})
    import rewardbench.constants as constants
    import rewardbench.utils as utils

    package.constants, package.utils = constants, utils
    # datasets consults sys.modules["torch"] when hashing; leave no placeholder behind for it to find.
    for name in ("torch", "transformers", "fastchat", "fastchat.conversation"):
        del sys.modules[name]
    return constants, utils


def rewardbench_v1(rows, constants, utils):
    # scripts/run_rm.py: results = 1 if chosen > rejected else 0; subset = num_correct / num_total; then
    # calculate_scores_per_section(EXAMPLE_COUNTS, SUBSET_MAPPING, results_grouped).
    results = {}
    for row in rows:
        results.setdefault(row["subset"], []).append(1 if row["score_chosen"] > row["score_rejected"] else 0)
    subsets = {name: sum(r) / len(r) for name, r in results.items()}
    present = {
        section: scores
        for section, scores in utils.calculate_scores_per_section(
            constants.EXAMPLE_COUNTS, constants.SUBSET_MAPPING, subsets
        ).items()
        if any(test in subsets for test in constants.SUBSET_MAPPING[section])
    }
    return {"subsets": subsets, "sections": present}


def rewardbench_v2(rows, utils):
    # scripts/run_v2.py: unroll chosen + rejected into one row per completion, score, reroll per instance with
    # reroll_and_score_dataset (1/k credit on ties at the top), subset = mean of results; the Ties subset is scored
    # by process_single_model on ids "ref:N" / "tied:N" with num_correct.
    from datasets import Dataset

    flat = {"id": [], "subset": [], "text": [], "scores": []}
    total_completions, num_correct = [], []
    for row in rows:
        options = row["scores_chosen"] + row["scores_rejected"]
        total_completions.append(len(options))
        num_correct.append(len(row["scores_chosen"]))
        for i, score in enumerate(options):
            flat["id"].append(str(row["id"]))
            flat["subset"].append(row["subset"])
            flat["text"].append(f"completion {i}")
            flat["scores"].append(score)
    out = utils.reroll_and_score_dataset(Dataset.from_dict(flat), total_completions, cols_to_combine=["text", "scores"])
    out = out.add_column("num_correct", num_correct)
    subsets = {}
    for subset in sorted(set(out["subset"])):
        part = out.filter(lambda example: example["subset"] == subset)
        if subset.lower() == "ties":
            _, subsets[subset] = utils.process_single_model(part)
        else:
            subsets[subset] = sum(part["results"]) / len(part["results"])
    return {"subsets": {k: float(v) for k, v in subsets.items()}}


def main():
    constants, utils = import_scoring_code()
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
        if rows and "scores_chosen" in rows[0]:
            print(json.dumps(rewardbench_v2(rows, utils)))
        else:
            print(json.dumps(rewardbench_v1(rows, constants, utils)))


if __name__ == "__main__":
    main()
