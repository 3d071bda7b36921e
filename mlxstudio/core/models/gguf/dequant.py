"""Load a GGUF file's tensors one at a time through gguf-py's dequantizer (every type it knows: K-quants, Q5_*,
I-quants…), as float arrays in the chosen output format.

``mx.load`` reads only F32/F16/BF16/Q4_0/Q4_1/Q8_0; everything else goes through here. ``gguf.GGUFReader`` maps the
file (no copy), ``gguf.quants.dequantize`` turns one tensor into float32 numpy, and the caller converts and writes
it before the next one is read, so memory stays bounded by the output model plus one float32 tensor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

#: Output formats of the import: keep the file's exact quantization where MLX has it (``auto``), float weights,
#: or re-quantize the (dequantized) weights to MLX affine 8-/4-bit.
WEIGHT_FORMATS = ("auto", "float16", "bfloat16", "float32", "q8", "q4")
#: Types ``mx.load`` converts exactly (the GGUF block formats that are MLX affine quantization with group 32).
MX_NATIVE_TYPES = ("F32", "F16", "BF16", "Q4_0", "Q4_1", "Q8_0")
REQUANT_GROUP_SIZE = 32  # the GGUF block size: re-quantized weights keep the file's granularity


def dequantizable_types() -> set[str]:
    """GGML type names that gguf-py's ``gguf.quants.dequantize`` can turn into floats."""
    import gguf.quants

    traits = getattr(gguf.quants, "_type_traits", {})
    return {"F32", "F16", *(t.name for t in traits)}


def resolve_format(fmt: str, type_names: set[str], backend_gpu: bool | None = None) -> str:
    """The concrete output format for ``fmt`` (``auto`` → ``keep`` when every tensor is an exact MLX type, else
    MLX 4-bit on a GPU backend and float16 on the CPU, where quantized matmuls are slow)."""
    if fmt not in WEIGHT_FORMATS:
        raise ValueError(f"unknown weight format {fmt!r}; choose one of {', '.join(WEIGHT_FORMATS)}")
    if fmt != "auto":
        return fmt
    if type_names <= set(MX_NATIVE_TYPES):
        return "keep"
    if backend_gpu is None:
        from mlxstudio.core.runtime.mlxrt import mx

        backend_gpu = mx.default_device().type == mx.DeviceType.gpu
    return "q4" if backend_gpu else "float16"


def iter_dequantized(path: Path, shapes: dict[str, tuple[int, ...]],
                     check_cancel: Callable[[], None]) -> Iterator[tuple[str, str, Any]]:
    """Yield ``(name, type_name, float32 numpy array in row-major shape)`` for every tensor of the GGUF file."""
    import gguf
    import numpy as np

    reader = gguf.GGUFReader(str(path), "r")
    for t in reader.tensors:
        check_cancel()
        values = gguf.quants.dequantize(np.asarray(t.data), t.tensor_type)
        yield t.name, t.tensor_type.name, np.asarray(values, dtype=np.float32).reshape(shapes[t.name])
