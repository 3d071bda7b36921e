"""Make a real mlx-lm LoRA adapter for a model without training: mlx-lm's ``linear_to_lora_layers`` with random,
non-zero LoRA weights, saved in mlx-lm's adapter format (``adapters.safetensors`` + ``adapter_config.json``).

Generation/fuse/eval tests use it so they do not depend on the training engine.
"""

from __future__ import annotations

import json
from pathlib import Path


def make_random_adapter(model_dir: Path, out_dir: Path, num_layers: int = 2, rank: int = 4, scale: float = 10.0,
                        seed: int = 1, std: float = 0.3) -> Path:
    """Write a LoRA adapter for ``model_dir`` into ``out_dir`` and return ``out_dir``."""
    from mlx.utils import tree_flatten
    from mlx_lm.tuner.utils import linear_to_lora_layers
    from mlx_lm.utils import load

    from mlxstudio.core.runtime.mlxrt import mx

    model, _ = load(str(model_dir))
    model.freeze()
    params = {"rank": rank, "scale": scale, "dropout": 0.0}
    linear_to_lora_layers(model, num_layers, params)
    mx.random.seed(seed)
    weights = {}
    for name, value in tree_flatten(model.trainable_parameters()):
        weights[name] = (mx.random.normal(value.shape) * std).astype(value.dtype)
    out_dir.mkdir(parents=True, exist_ok=True)
    mx.save_safetensors(str(out_dir / "adapters.safetensors"), weights)
    config = {"fine_tune_type": "lora", "num_layers": num_layers, "lora_parameters": params,
              "model": str(model_dir)}
    (out_dir / "adapter_config.json").write_text(json.dumps(config, indent=2))
    return out_dir
