"""Which compute backend MLX uses here (Metal, CUDA or the CPU), and how the engine trains there.

The fast BLAS for the CPU backend is :mod:`mlxstudio.core.runtime.blas`.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import platform
import sys
from dataclasses import dataclass

from mlxstudio.core.i18n import _
from mlxstudio.core.runtime.blas import blas_status


@dataclass(frozen=True)
class BackendInfo:
    """What the engine runs on. ``name`` is "Metal", "CUDA" or "CPU"."""

    name: str
    blas: str
    train_dtype: str
    keep_quantized_for_training: bool
    note: str

    def summary(self) -> str:
        if self.name == "CPU":
            return "CPU · " + (_("OpenBLAS on") if self.blas.startswith("OpenBLAS on") else _("OpenBLAS off"))
        return self.name


CUDA_DISTRIBUTIONS = ("mlx-cuda-13", "mlx-cuda-12", "mlx-cuda")  # `pip install "mlx[cuda13]"` etc. (mlx 0.32)


def _cuda_wheel_installed() -> bool:
    """Whether MLX's CUDA backend is installed. Its wheels add libraries inside the ``mlx`` package (no module of
    their own to look for), so ask for the distributions."""
    for dist in CUDA_DISTRIBUTIONS:
        try:
            importlib.metadata.distribution(dist)
            return True
        except importlib.metadata.PackageNotFoundError:
            continue
    return importlib.util.find_spec("mlx_cuda") is not None


def guess_backend_name() -> str:
    """The backend name without importing MLX (fast, for the window's first paint)."""
    if sys.platform == "darwin" and platform.machine() == "arm64":
        return "Metal"
    if _cuda_wheel_installed():
        return "CUDA"
    return "CPU"


def detect() -> BackendInfo:
    """Import MLX (after :func:`preload_blas`) and say which device it computes on and how we train there."""
    from mlxstudio.core.runtime.mlxrt import mx

    name = "CPU"
    if mx.metal.is_available():
        name = "Metal"
    elif hasattr(mx, "cuda") and mx.cuda.is_available():
        name = "CUDA"
    if name == "CPU":
        note = _("CPU backend: 4-bit models are dequantized to float32 for training "
                 "(QLoRA is ~15x slower than float32 on the CPU).")
        return BackendInfo(name, blas_status(), "float32", False, note)
    return BackendInfo(name, blas_status(), "bfloat16", True,
                       _("{name}: QLoRA on quantized models.").format(name=name))
