"""LoRA/DoRA adapter folders: their files, their config, and whether an adapter fits a model.

:func:`check_adapter_matches` compares the adapter with the model *before* any long work — from the files' headers
only, no weights loaded — so a mismatched adapter is refused with a clear message instead of producing a broken model.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from mlxstudio.core import errors
from mlxstudio.core.i18n import _

ADAPTER_WEIGHTS = "adapters.safetensors"
ADAPTER_CONFIG = "adapter_config.json"


# -- reading shapes without loading weights ------------------------------------------------------------------------
def safetensors_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """Tensor name → shape, read from a .safetensors header (nothing else is read)."""
    try:
        with open(path, "rb") as fh:
            (size,) = struct.unpack("<Q", fh.read(8))
            if size > 100_000_000:
                raise ValueError("header too large")
            header = json.loads(fh.read(size))
    except (OSError, ValueError, struct.error) as exc:
        raise errors.ModelError(_("{path}: not a readable .safetensors file ({exc})").format(
            path=path, exc=exc)) from exc
    return {k: tuple(v["shape"]) for k, v in header.items() if k != "__metadata__"}


def model_weight_shapes(model_dir: Path) -> dict[str, tuple[int, ...]]:
    """Shapes of all weights of an MLX model folder (all ``*.safetensors`` files)."""
    files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        raise errors.ModelError(_("{model_dir}: no *.safetensors weights — is this an MLX model folder?").format(
            model_dir=model_dir))
    shapes: dict[str, tuple[int, ...]] = {}
    for f in files:
        shapes.update(safetensors_shapes(f))
    return shapes


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise errors.ModelError(_("{path}: missing — {what}").format(path=path, what=what)) from exc
    except (OSError, ValueError) as exc:
        raise errors.ModelError(_("{path}: not valid JSON ({exc})").format(path=path, exc=exc)) from exc
    if not isinstance(data, dict):
        raise errors.ModelError(_("{path}: expected a JSON object").format(path=path))
    return data


def read_adapter_config(adapter_path: str | Path) -> dict[str, Any]:
    """The adapter folder's ``adapter_config.json`` (mlx-lm format), with a clear error when it is missing."""
    adapter_dir = Path(adapter_path)
    if not adapter_dir.is_dir():
        raise errors.ModelError(_("{adapter_dir}: adapter folder not found — train an adapter first or pick its folder")
            .format(adapter_dir=adapter_dir))
    cfg = _read_json(adapter_dir / ADAPTER_CONFIG, "not an mlx-lm adapter folder (train one, or pick the run folder)")
    if not (adapter_dir / ADAPTER_WEIGHTS).is_file():
        raise errors.ModelError(_("{adapter_dir}: missing — the adapter has no weights yet "
                                  "(training saves them at the end or at each checkpoint)").format(
                                      adapter_dir=adapter_dir / ADAPTER_WEIGHTS))
    return cfg


def _quant_bits(config: dict[str, Any], module: str) -> int | None:
    q = config.get("quantization") or config.get("quantization_config")
    if not isinstance(q, dict):
        return None
    override = q.get(module)
    if isinstance(override, dict) and "bits" in override:
        return int(override["bits"])
    return int(q["bits"]) if "bits" in q else None


def _linear_dims(module: str, shapes: dict[str, tuple[int, ...]], config: dict[str, Any]) -> tuple[int, int] | None:
    """(in, out) features of a linear layer of the model (unpacking quantized weights), or None if absent."""
    weight = shapes.get(f"{module}.weight")
    if weight is None or len(weight) < 2:
        return None
    out_dim, in_dim = weight[-2], weight[-1]
    if f"{module}.scales" in shapes:
        bits = _quant_bits(config, module)
        if bits:
            in_dim = in_dim * 32 // bits
    return in_dim, out_dim


def check_adapter_matches(model_path: str | Path, adapter_path: str | Path) -> None:
    """Raise :class:`~errors.ModelError` unless the adapter was trained for a model shaped like ``model_path``.

    Compares, from the files' headers only: the adapter type, the layer count (the adapter may not touch layers the
    model does not have), every LoRA target key (must be a linear layer of the model) and the LoRA matrices' input
    and output sizes against the model's hidden dimensions. Fast (no weights loaded), so call it before long work.
    """
    model_dir = Path(model_path)
    adapter_dir = Path(adapter_path)
    acfg = read_adapter_config(adapter_dir)
    mcfg = _read_json(model_dir / "config.json", "not a model folder")
    ftype = str(acfg.get("fine_tune_type", "lora"))
    if ftype not in {"lora", "dora", "full"}:
        raise errors.ModelError(_("{adapter_dir}: unknown fine_tune_type {ftype!r} "
                                  "(expected lora, dora or full)").format(
                                      adapter_dir=adapter_dir / ADAPTER_CONFIG, ftype=ftype))
    if ftype != "full" and not isinstance(acfg.get("lora_parameters"), dict):
        raise errors.ModelError(_("{adapter_dir}: no lora_parameters — not an mlx-lm LoRA adapter").format(
            adapter_dir=adapter_dir / ADAPTER_CONFIG))
    adapter_shapes = safetensors_shapes(adapter_dir / ADAPTER_WEIGHTS)
    if not adapter_shapes:
        raise errors.ModelError(_("{adapter_dir}: the adapter holds no tensors").format(
            adapter_dir=adapter_dir / ADAPTER_WEIGHTS))
    shapes = model_weight_shapes(model_dir)
    name = model_dir.name
    what = _("adapter {adapter!r} does not fit model {model!r}").format(adapter=adapter_dir.name, model=name)
    hint = _("pick the model this adapter was trained on")
    base = acfg.get("model")
    if base:
        hint += _(" (its adapter_config.json says {base!r})").format(base=Path(str(base)).name)

    mtype, atype = mcfg.get("model_type"), acfg.get("model_type")
    if atype and mtype and atype != mtype:
        raise errors.ModelError(_("{what}: it was trained on a {atype!r} model, this is {mtype!r} — {hint}").format(
            what=what, atype=atype, mtype=mtype, hint=hint))
    n_layers = mcfg.get("num_hidden_layers") or (mcfg.get("text_config") or {}).get("num_hidden_layers")

    problems: list[str] = []
    layers_used = sorted({int(k.split(".layers.", 1)[1].split(".", 1)[0]) for k in adapter_shapes
                          if ".layers." in k and k.split(".layers.", 1)[1].split(".", 1)[0].isdigit()})
    if n_layers is not None and layers_used and layers_used[-1] >= int(n_layers):
        raise errors.ModelError(_("{what}: the adapter changes layer {layers_used} but the model has only "
                                  "{n_layers} layers — {hint}").format(
                                      what=what, layers_used=layers_used[-1], n_layers=n_layers, hint=hint))
    for key, shape in sorted(adapter_shapes.items()):
        module, _dot, leaf = key.rpartition(".")
        if ftype == "full":
            want = shapes.get(key)
            if want is None:
                problems.append(f"{key}: the model has no such weight")
            elif want != shape:
                problems.append(f"{key}: shape {shape} but the model's is {want}")
            continue
        if leaf not in {"lora_a", "lora_b", "m"}:
            problems.append(f"{key}: not a LoRA tensor (lora_a / lora_b / m)")
            continue
        dims = _linear_dims(module, shapes, mcfg)
        if dims is None:
            emb = shapes.get(f"{module}.weight")
            if emb is not None and len(emb) == 2 and f"{module}.scales" not in shapes:
                continue  # e.g. LoRA on an embedding: shape checked by mlx-lm when loading
            problems.append(f"{module}: the adapter targets a layer the model does not have")
            continue
        in_dim, out_dim = dims
        if leaf == "lora_a" and (len(shape) != 2 or shape[0] != in_dim):
            problems.append(f"{key}: input size {shape[0]} but the model's layer takes {in_dim}")
        elif leaf == "lora_b" and (len(shape) != 2 or shape[1] != out_dim):
            problems.append(f"{key}: output size {shape[-1]} but the model's layer gives {out_dim}")
        elif leaf == "m" and shape[0] != out_dim:
            problems.append(f"{key}: {shape[0]} outputs but the model's layer gives {out_dim}")
    if problems:
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        raise errors.ModelError(f"{what}: " + "; ".join(problems[:3]) + more + f" — {hint}")
