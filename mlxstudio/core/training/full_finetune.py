"""What is trained: LoRA/DoRA adapters on the chosen layers, or every weight of the last blocks (full fine-tuning).

The way ``mlx_lm.lora.train_model`` does it: ``lora``/``dora`` convert the linear layers named by
``lora_parameters.keys`` (all of them when none are named) of the last ``num_layers`` blocks with
``mlx_lm.tuner.utils.linear_to_lora_layers``; ``full`` unfreezes the last ``num_layers`` blocks (-1 = all) so their
every weight trains. A full run's ``adapters.safetensors`` then holds those blocks' weights and its
``adapter_config.json`` says ``fine_tune_type: full`` — ``mlx_lm.load(model, adapter_path=run)`` loads it, like
mlx-lm's own full runs — and at the end :func:`save_full_model` writes the whole tuned model into the model library.

``resume_adapter_file`` (mlx-lm's key): :func:`load_start_weights` starts a new run from an earlier run's weights.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mlxstudio.core import events as ev
from mlxstudio.core import paths
from mlxstudio.core.data.thinking import write_trained_default
from mlxstudio.core.errors import ModelError, UserError
from mlxstudio.core.fsutil import replace_dir
from mlxstudio.core.i18n import _
from mlxstudio.core.training.config import ConfigError, TrainConfig

LORA_TARGETS = ("Linear", "QuantizedLinear", "SwitchLinear", "QuantizedSwitchLinear", "Embedding",
                "QuantizedEmbedding")
"""Module types mlx-lm's ``linear_to_lora_layers`` can convert (by class name)."""


def block_layer_names(model: Any) -> list[str]:
    """The names (``self_attn.q_proj``, …) of the layers of the last block that can carry adapters."""
    block = model.layers[-1]
    return sorted(name for name, m in block.named_modules()
                  if name and (hasattr(m, "to_lora") or type(m).__name__ in LORA_TARGETS))


def adapt_model(model: Any, cfg: TrainConfig, num_layers: int) -> None:
    """Make the last ``num_layers`` blocks of the (frozen) ``model`` trainable as ``cfg`` says (see the module doc).

    Raises :class:`~.config.ConfigError` naming ``lora_parameters.keys`` when a key is not a layer of the blocks."""
    if cfg.fine_tune_type == "full":
        for layer in model.layers[-max(num_layers, 0):]:
            layer.unfreeze()
        return
    from mlx_lm.tuner.utils import linear_to_lora_layers

    params: dict[str, Any] = {"rank": cfg.rank, "scale": cfg.scale, "dropout": cfg.dropout}
    if cfg.lora_keys:
        known = block_layer_names(model)
        unknown = [k for k in cfg.lora_keys if k not in known]
        if unknown:
            raise ConfigError(_("lora_parameters.keys: {unknown} is not a layer of this model's blocks — its layers "
                                "are {known}").format(unknown=", ".join(unknown), known=", ".join(known)),
                              key="lora_keys")
        params["keys"] = list(cfg.lora_keys)
    linear_to_lora_layers(model, num_layers, params, use_dora=cfg.fine_tune_type == "dora")


def load_start_weights(model: Any, path: str | Path, sink: ev.Sink = ev.null_sink) -> int:
    """Load an earlier run's ``adapters.safetensors`` (or its folder) into the adapted ``model``; count tensors.

    Every tensor must be a trainable weight of the same shape (else :class:`ModelError` saying which)."""
    from mlxstudio.core.runtime.mlxrt import mx, tree_flatten

    p = Path(path).expanduser()
    if p.is_dir():
        p = p / "adapters.safetensors"
    if not p.is_file():
        raise UserError(_("resume_adapter_file: {path} does not exist — give an adapters.safetensors of an earlier "
                          "run").format(path=p))
    weights = mx.load(str(p))
    if not isinstance(weights, dict) or not weights:
        raise ModelError(_("resume_adapter_file: {path} holds no weights").format(path=p))
    trainable = dict(tree_flatten(model.trainable_parameters()))
    wrong = [k for k in weights if k not in trainable]
    if wrong:
        raise ModelError(_("resume_adapter_file: {path} does not fit these settings: {key} is not trained here "
                           "(train with the settings of the run that wrote it: method, blocks, layers)").format(
                               path=p, key=wrong[0]))
    for k, v in weights.items():
        if tuple(v.shape) != tuple(trainable[k].shape):
            raise ModelError(_("resume_adapter_file: {path}: {key} has shape {have}, this run's is {need} (another "
                               "rank or model?)").format(path=p, key=k, have=tuple(v.shape),
                                                         need=tuple(trainable[k].shape)))
    model.load_weights(list(weights.items()), strict=False)
    sink(ev.Log(_("starting from the weights in {path} ({n} tensors; a new run: step, optimizer and schedule start "
                  "afresh).").format(path=p, n=len(weights))))
    return len(weights)


def full_model_name(base: str | Path, run_dir: Path) -> str:
    """The library name of a full fine-tune's model: ``<base>-full-<run folder>``."""
    return f"{Path(str(base)).name}-full-{run_dir.name}"


def save_full_model(model: Any, tokenizer: Any, base_path: Path, run_dir: Path, dequantized: bool,
                    sink: ev.Sink = ev.null_sink, target: Path | None = None, reasoning: str | None = None) -> Path:
    """Write the tuned ``model`` (the run's final weights) as a complete mlx-lm model folder into the library.
    ``reasoning``: the run's reasoning setting, recorded in its ``mlxstudio.json`` as a fused model's is (so the
    model is asked as it was trained: ``core.inference.reasoning.trained_reasoning``).

    ``target`` defaults to ``paths.models_dir() / full_model_name(base, run)``; written in a staging folder and moved
    into place when complete (an earlier save of the same run is replaced)."""
    from mlx_lm.utils import save

    from mlxstudio.core.models.library import write_source

    target = target or paths.models_dir() / full_model_name(base_path, run_dir)
    config = json.loads((base_path / "config.json").read_text(encoding="utf-8"))
    if dequantized:  # trained in float weights: the saved model has no quantization
        config.pop("quantization", None)
        config.pop("quantization_config", None)
    weights = run_dir / "adapters.safetensors"
    if weights.is_file():  # the run's final weights (keep_best may have chosen an earlier iteration's)
        model.load_weights(str(weights), strict=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        save(staging, str(base_path), model, tokenizer, config, donate_model=False)
        for extra in ("chat_template.jinja", "LICENSE", "LICENSE.txt"):
            if (base_path / extra).is_file() and not (staging / extra).exists():
                shutil.copy2(base_path / extra, staging / extra)
        write_trained_default(staging, reasoning)  # trained to answer directly: thinking off by default (fuse's)
        write_source(staging, f"full fine-tune: {base_path.name} ({run_dir.name})", base_model=base_path.name,
                     base_model_path=str(base_path), run=str(run_dir), fine_tune_type="full",
                     adapter=str(run_dir), reasoning=reasoning)  # as a fused model's: Fuse & Test finds it
        replace_dir(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    sink(ev.Log(_("the fully fine-tuned model is saved in the model library as {name} ({target}).").format(
        name=target.name, target=target)))
    return target


def full_state_bytes(config: dict[str, Any], num_layers: int, n_layers: int) -> int:
    """Extra memory of full fine-tuning of ``num_layers`` blocks over LoRA: each trained weight's float32 gradient
    and two Adam moments (12 bytes a parameter), from ``config.json``'s sizes."""
    from mlxstudio.core.models.library import block_dims

    h, heads, kv, head_dim, ffn = block_dims(config)
    per_block = h * heads * head_dim * 2 + h * kv * head_dim * 2 + 3 * h * ffn + 2 * h
    blocks = n_layers if num_layers < 0 else min(num_layers, n_layers or num_layers)
    return per_block * blocks * 12
