"""An independent all-MiniLM-L6-v2 embedding in plain numpy, the peer of the candle backend's embeddings.

Reads the checkpoint's safetensors and vocab.txt directly (no torch, no tokenizers): BERT-uncased basic
tokenization + greedy WordPiece (enough for lower-case ASCII sentences), the BERT encoder, mean pooling over the
tokens, L2 normalization. Usage: python3 bert_reference.py MODEL_DIR < sentences (one per line) > JSON vectors.
"""
import json
import math
import re
import struct
import sys

import numpy as np

model_dir = sys.argv[1]
config = json.load(open(f"{model_dir}/config.json"))

with open(f"{model_dir}/model.safetensors", "rb") as f:
    header_len = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(header_len))
    data = f.read()
weights = {}
for name, meta in header.items():
    if name == "__metadata__" or meta["dtype"] != "F32":
        continue
    begin, end = meta["data_offsets"]
    weights[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(meta["shape"]).astype(np.float64)

vocab = {line.rstrip("\n"): i for i, line in enumerate(open(f"{model_dir}/vocab.txt", encoding="utf-8"))}


def tokenize(text):
    ids = [vocab["[CLS]"]]
    for word in re.findall(r"\w+|[^\w\s]", text.lower()):
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in vocab:
                    ids.append(vocab[piece])
                    break
                end -= 1
            else:
                ids.append(vocab["[UNK]"])
                break
            start = end
    return ids + [vocab["[SEP]"]]


def layer_norm(x, prefix):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + config["layer_norm_eps"]) * weights[prefix + ".weight"] + weights[prefix + ".bias"]


def dense(x, prefix):
    return x @ weights[prefix + ".weight"].T + weights[prefix + ".bias"]


erf = np.vectorize(math.erf)


def embed(text):
    ids = tokenize(text)
    x = weights["embeddings.word_embeddings.weight"][ids]
    x = x + weights["embeddings.position_embeddings.weight"][: len(ids)]
    x = x + weights["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, "embeddings.LayerNorm")
    heads = config["num_attention_heads"]
    head_dim = config["hidden_size"] // heads
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        split = lambda t: t.reshape(len(ids), heads, head_dim).transpose(1, 0, 2)
        q, k, v = (split(dense(x, f"{p}.attention.self.{n}")) for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(head_dim)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores = scores / scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(1, 0, 2).reshape(len(ids), -1)
        x = layer_norm(x + dense(context, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm")
        hidden = dense(x, f"{p}.intermediate.dense")
        hidden = 0.5 * hidden * (1.0 + erf(hidden / math.sqrt(2.0)))
        x = layer_norm(x + dense(hidden, f"{p}.output.dense"), f"{p}.output.LayerNorm")
    pooled = x.mean(0)
    return {"ids": ids, "embedding": (pooled / np.linalg.norm(pooled)).tolist()}


print(json.dumps([embed(line) for line in sys.stdin.read().splitlines() if line.strip()]))
