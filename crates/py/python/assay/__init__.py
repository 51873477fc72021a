"""Assay's reward pipelines in Python.

>>> import assay
>>> pipeline = assay.Pipeline.from_dict({"reward": [{"name": "format", "kind": "tags"}]})
>>> pipeline.score([{"completion": "<think>hm</think><answer>4</answer>"}])[0]["reward"]
1.0

Adapters: :func:`assay.integrations.trl.reward_func` (TRL ``reward_funcs``) and
:func:`assay.integrations.verl.compute_score` (verl ``custom_reward_function``).
"""

from ._assay import ConfigError, __version__
from ._pipeline import Pipeline
from . import integrations

__all__ = ["ConfigError", "Pipeline", "integrations", "__version__"]
