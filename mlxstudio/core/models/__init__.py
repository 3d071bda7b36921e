"""Models: the library on disk (:mod:`.library`), loading for training (:mod:`.loading`), checking and converting
Hugging Face checkpoints (:mod:`.checkpoint`, :mod:`.convert`), GGUF import (:mod:`.gguf`), the demo model.

Importing this package loads no MLX (the heavy work imports it when it runs).
"""

from mlxstudio.core.models.convert import convert_model
from mlxstudio.core.models.demo_model import DEMO_MODEL_NAME, install_demo_model
from mlxstudio.core.models.gguf.importer import default_model_name, import_gguf
from mlxstudio.core.models.library import (
    SOURCE_FILE,
    ModelInfo,
    delete_model,
    estimate_training_memory,
    inspect_model,
    list_models,
    read_source,
    resolve_model,
    resolve_model_path,
    validate_model_dir,
    write_source,
)

__all__ = [
    "DEMO_MODEL_NAME",
    "SOURCE_FILE",
    "ModelInfo",
    "convert_model",
    "default_model_name",
    "delete_model",
    "estimate_training_memory",
    "import_gguf",
    "inspect_model",
    "install_demo_model",
    "list_models",
    "read_source",
    "resolve_model",
    "resolve_model_path",
    "validate_model_dir",
    "write_source",
]
