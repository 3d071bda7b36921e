"""Where the engine runs: the compute backend (:mod:`.backend`), the fast BLAS (:mod:`.blas`), importing MLX
(:mod:`.mlxrt`), and worker processes for training, fuse and generation (:mod:`.worker`, :mod:`.bundle`).

Importing this package loads no MLX; :mod:`.mlxrt` does, after the fast BLAS.
"""

from mlxstudio.core.runtime.backend import BackendInfo, detect, guess_backend_name
from mlxstudio.core.runtime.blas import blas_status, preload_blas
from mlxstudio.core.runtime.worker import WorkerProcess, execute

__all__ = ["BackendInfo", "WorkerProcess", "blas_status", "detect", "execute", "guess_backend_name", "preload_blas"]
