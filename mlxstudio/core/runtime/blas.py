"""The fast BLAS on Linux: MLX's CPU wheel ships a slow reference BLAS (~8 GFLOP/s here); Debian's OpenBLAS
(``libopenblas0-pthread``) gives ~250 GFLOP/s when loaded with RTLD_GLOBAL *before* the first ``import mlx``.

:func:`preload_blas` does that; :mod:`mlxstudio.core.runtime.mlxrt` calls it, so import MLX through that module.
Set ``MLXSTUDIO_BLAS=off`` to keep the bundled BLAS (benchmarks use it for the "before" numbers), or to a path of a
BLAS shared library to use that one.
"""

from __future__ import annotations

import ctypes
import glob
import os
import platform
import sys

_BLAS_CANDIDATES = (
    "/usr/lib/{arch}-linux-gnu/openblas-pthread/libblas.so.3",
    "/usr/lib/{arch}-linux-gnu/openblas-openmp/libblas.so.3",
    "/usr/lib/{arch}-linux-gnu/openblas-serial/libblas.so.3",
    "/usr/lib64/libopenblas.so.0",
    "/usr/lib/libopenblas.so.0",
)

_blas_loaded: str | None = None
_blas_note: str = ""


def find_openblas() -> str | None:
    """Path of a system OpenBLAS ``libblas.so.3`` (Linux), or None."""
    arch = platform.machine()
    for pattern in _BLAS_CANDIDATES:
        for path in glob.glob(pattern.format(arch=arch)):
            if os.path.exists(path):
                return path
    return None


def preload_blas() -> str | None:
    """Load OpenBLAS globally before MLX is imported (Linux only). Returns the loaded path, or None.

    Safe to call many times; does nothing on macOS, when disabled with ``MLXSTUDIO_BLAS=off``, or when MLX was
    already imported (then it is too late and :func:`blas_status` says so).
    """
    global _blas_loaded, _blas_note
    if _blas_loaded or _blas_note:
        return _blas_loaded
    if sys.platform != "linux":
        _blas_note = "not needed (Accelerate/Metal)"
        return None
    setting = os.environ.get("MLXSTUDIO_BLAS", "").strip()
    if setting.lower() in {"off", "0", "no", "false"}:
        _blas_note = "off (MLXSTUDIO_BLAS=off)"
        return None
    if "mlx.core" in sys.modules:
        _blas_note = "off (mlx was imported before OpenBLAS could be loaded)"
        return None
    path = setting or find_openblas()
    if not path:
        _blas_note = "off (install libopenblas0-pthread for ~30x faster training)"
        return None
    try:
        ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
    except OSError as exc:
        _blas_note = f"off (could not load {path}: {exc})"
        return None
    _blas_loaded = path
    _blas_note = f"OpenBLAS on ({path})"
    return path


def blas_status() -> str:
    """One line for the status bar / About dialog: whether a fast BLAS is in use."""
    if not (_blas_loaded or _blas_note):
        return "not loaded yet"
    return _blas_note
