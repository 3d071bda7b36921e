"""Training: hyperparameters (:mod:`.config`), the loop (:mod:`.engine`), batching, loss, checkpoints, several
processes (:mod:`.distributed`, :mod:`.hosts`) and the run history (:mod:`.runs`, used as a module).

Importing this package loads no MLX, so the window can build its form without it.
"""

from mlxstudio.core.training.config import ConfigError, TrainConfig, config_fields, load_yaml
from mlxstudio.core.training.distributed import GroupProcess, check_batch_size, rank_hosts
from mlxstudio.core.training.runs import RunInfo

__all__ = ["ConfigError", "GroupProcess", "RunInfo", "TrainConfig", "check_batch_size", "config_fields", "load_yaml",
           "rank_hosts"]
