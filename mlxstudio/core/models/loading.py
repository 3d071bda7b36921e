"""Load a model for training with mlx-lm, in the precision that trains fast on this backend.

On Metal, quantized (4-bit/8-bit) models stay quantized: QLoRA is the normal, fast path. On the CPU backend,
quantized matmuls are ~15x slower than float32 ones with OpenBLAS, so a quantized model is dequantized to float32
for training (and half-precision weights are widened to float32); the adapter still works with the quantized model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from mlxstudio.core import events as ev
from mlxstudio.core.errors import ModelError
from mlxstudio.core.i18n import _
from mlxstudio.core.models.library import resolve_model


@dataclass
class TrainingModel:
    """A loaded model ready for adapters: the mlx-lm model and tokenizer, and how it was prepared."""

    model: Any
    tokenizer: Any
    path: Path
    backend: str
    dequantized: bool
    quantization: str | None     # e.g. "4-bit g32" of the files on disk, None for float weights
    dtype: str                    # dtype of the (float) weights as trained
    num_layers: int


def _quantization(config: dict[str, Any]) -> str | None:
    q = config.get("quantization") or config.get("quantization_config")
    if not isinstance(q, dict) or "bits" not in q:
        return None
    return f"{q['bits']}-bit g{q.get('group_size', 64)}"


def load_for_training(model: str | Path, sink: ev.Sink = ev.null_sink,
                      keep_quantized: bool | None = None) -> TrainingModel:
    """Load ``model`` (library name or folder) with ``mlx_lm.utils.load`` for training.

    ``keep_quantized``: None = the backend decides (keep on Metal/CUDA, dequantize to float32 on the CPU).
    Emits a Log event saying what was done and why.
    """
    from mlxstudio.core.runtime import backend
    from mlxstudio.core.runtime.mlxrt import mx, nn, tree_flatten

    path = resolve_model(model)
    from mlxstudio.core.models.library import validate_model_dir

    validate_model_dir(path)  # a broken/incomplete folder: say which file, before anything is loaded
    info = backend.detect()
    try:
        from mlx_lm.utils import load

        mlx_model, tokenizer, config = cast(tuple[Any, Any, dict[str, Any]],  # 3 items with return_config
                                            load(str(path), return_config=True))
    except (FileNotFoundError, ValueError, KeyError) as exc:
        raise ModelError(_("{path}: cannot load the model with mlx-lm: {exc}").format(path=path, exc=exc)) from None
    quant = _quantization(config)
    keep = info.keep_quantized_for_training if keep_quantized is None else keep_quantized
    dequantized = False
    if quant and not keep:
        from mlx_lm.utils import dequantize_model

        dequantize_model(mlx_model)
        dequantized = True
    if info.name == "CPU":  # half precision is slow on the CPU backend; train in float32
        mlx_model.set_dtype(mx.float32)
    mx.eval(mlx_model.parameters())
    has_quantized = any(isinstance(m, (nn.QuantizedLinear, nn.QuantizedEmbedding)) for m in mlx_model.modules())
    dtypes = {str(v.dtype).replace("mlx.core.", "") for _, v in tree_flatten(mlx_model.parameters())
              if v.dtype in (mx.float32, mx.float16, mx.bfloat16)}
    dtype = "float32" if "float32" in dtypes else (sorted(dtypes)[0] if dtypes else "float32")
    if dequantized:
        sink(ev.Log(_("{name} backend: the {quant} model was dequantized to {dtype} for training "
                      "(QLoRA is ~15x slower than float32 on the CPU); the adapter works with the quantized model "
                      "too.").format(
                          name=info.name, quant=quant, dtype=dtype)))
    elif has_quantized:
        sink(ev.Log(_("{name}: training the {quant} model with QLoRA (its weights stay quantized).").format(
            name=info.name, quant=quant)))
    else:
        sink(ev.Log(_("{name}: training in {dtype}.").format(name=info.name, dtype=dtype)))
    layers = getattr(mlx_model, "layers", None)
    if layers is None:
        raise ModelError(_("{path}: this model type has no transformer layers mlx-lm's LoRA can adapt").format(
            path=path))
    return TrainingModel(mlx_model, tokenizer, path, info.name, dequantized, quant, dtype, len(layers))
