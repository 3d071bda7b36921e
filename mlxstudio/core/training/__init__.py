"""The training engine: hyperparameters (:mod:`.config`), the loop (:mod:`.engine`), checkpoints, batching.

Import the submodules directly (``from mlxstudio.core.training.config import TrainConfig``); this package imports
nothing heavy so the GUI can build its form without loading MLX.
"""
