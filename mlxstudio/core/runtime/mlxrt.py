"""Import MLX here, never directly: this module loads the fast BLAS first (see :mod:`mlxstudio.core.runtime.backend`).

    from mlxstudio.core.runtime.mlxrt import mx, nn
"""

from typing import Any, cast

from mlxstudio.core.runtime.blas import preload_blas

preload_blas()

import mlx.core as mx  # noqa: E402
import mlx.nn as nn  # noqa: E402
import mlx.utils  # noqa: E402

__all__ = ["mx", "nn", "tree_flatten"]


def tree_flatten(tree: Any) -> list[tuple[str, Any]]:
    """``mlx.utils.tree_flatten(tree)``: the ``(dotted.name, leaf)`` pairs of a parameter tree.

    mlx annotates the result as ``list | dict`` (a dict only when a dict ``destination`` is passed); this says which.
    """
    return cast(list[tuple[str, Any]], mlx.utils.tree_flatten(tree))
