"""The Qt-free engine shared by the GUI, the CLI and the worker processes.

Nothing in this package may import Qt (an import-linter contract in pyproject.toml enforces it).
Modules that need MLX import it through :mod:`mlxstudio.core.mlxrt`, which loads a fast BLAS first.
"""
