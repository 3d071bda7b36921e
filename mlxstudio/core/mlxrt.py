"""Import MLX here, never directly: this module loads the fast BLAS first (see :mod:`mlxstudio.core.backend`).

    from mlxstudio.core.mlxrt import mx, nn
"""

from mlxstudio.core.backend import preload_blas

preload_blas()

import mlx.core as mx  # noqa: E402
import mlx.nn as nn  # noqa: E402

__all__ = ["mx", "nn"]
