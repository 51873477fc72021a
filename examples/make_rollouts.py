"""Writes examples/rollouts.jsonl: 300 synthetic GRPO rollouts (50 arithmetic prompts x 6 samples).

Run with: python3 examples/make_rollouts.py   (seeded; regenerates byte-identically)

The rollouts cover what a format/correctness/length pipeline must tell apart: well-formed correct answers, wrong
answers, missing or empty thinking, an answer hidden inside the thinking section, several conflicting answers,
degenerate repetition, and overlong rambling.
"""
import json
import pathlib
import random

rng = random.Random(20261126)
FILLER = ("so we add the numbers carefully and check the carry, then we verify the result again by "
          "subtracting one term from the total").split()


def thinking(a, b, words):
    steps = [f"First, {a} + {b}: add the ones digits.", "Next, carry if needed."]
    steps += [" ".join(rng.choice(FILLER) for _ in range(12)) + "." for _ in range(words // 12)]
    steps.append(f"Finally, the total is {a + b}.")
    return "\n".join(steps)


def rollout(a, b, style):
    right, wrong = a + b, a + b + rng.choice([-10, -1, 1, 2, 10])
    think = thinking(a, b, rng.randint(10, 80))
    return {
        "good": f"<think>\n{think}\n</think>\n<answer>\n{right}\n</answer>",
        "wrong": f"<think>\n{think}\n</think>\n<answer>\n{wrong}\n</answer>",
        "no_think": f"<answer>\n{right}\n</answer>",
        "hidden": f"<think>\n{think}\n<answer>{right}</answer>\n</think>\nI am not sure.",
        "conflicting": f"<think>\n{think}\n</think>\n<answer>\n{right}\n</answer>\n<answer>\n{wrong}\n</answer>",
        "repetitive": "<think>\n" + "let me check again " * 60 + f"\n</think>\n<answer>\n{right}\n</answer>",
        "overlong": f"<think>\n{thinking(a, b, 700)}\n</think>\n<answer>\n{right}\n</answer>",
        "plain": f"{think}\nThe answer is {right}.",
    }[style]


STYLES = ["good", "good", "good", "wrong", "wrong", "no_think", "hidden", "conflicting", "repetitive",
          "overlong", "plain"]
rows = []
for p in range(50):
    a, b = rng.randint(10, 999), rng.randint(10, 999)
    prompt = f"What is {a} + {b}? Think inside <think></think>, then answer inside <answer></answer>."
    for s in range(6):
        style = rng.choice(STYLES)
        rows.append({"id": f"p{p:02d}-s{s}", "group": f"p{p:02d}", "prompt": prompt,
                     "completion": rollout(a, b, style), "reference": str(a + b), "style": style})

out = pathlib.Path(__file__).with_name("rollouts.jsonl")
out.write_text("".join(json.dumps(r) + "\n" for r in rows))
