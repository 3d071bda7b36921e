"""The Qt-free engine shared by the GUI, the CLI and the worker processes.

Nothing in this package may import Qt (an import-linter contract in pyproject.toml enforces it).
Importing any engine module first loads the fast BLAS (OpenBLAS on Linux, ~40 ms, MLX itself is not imported), so
MLX — however a module reaches it — always finds it; :mod:`mlxstudio.core.mlxrt` is the usual way to import MLX.
"""

from mlxstudio.core.backend import preload_blas as _preload_blas

_preload_blas()
