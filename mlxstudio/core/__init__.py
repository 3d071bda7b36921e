"""The Qt-free engine shared by the GUI, the CLI and the worker processes, in packages named for the flow:
:mod:`.models` → :mod:`.data` → :mod:`.training` → :mod:`.inference`, plus :mod:`.hub` (downloads) and :mod:`.runtime`
(backend, MLX, worker processes); the shared pieces (errors, events, paths, fsutil, logs, resources) sit at the top
level. Each package uses only the ones below it (import-linter contracts in pyproject.toml; docs/ARCHITECTURE.md).

Nothing in this package may import Qt (an import-linter contract in pyproject.toml enforces it).
Importing any engine module first loads the fast BLAS (OpenBLAS on Linux, ~40 ms, MLX itself is not imported), so
MLX — however a module reaches it — always finds it; :mod:`mlxstudio.core.runtime.mlxrt` is the usual way to import MLX.
"""

from mlxstudio.core.runtime.blas import preload_blas as _preload_blas

_preload_blas()
