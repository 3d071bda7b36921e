"""Models: the library on disk (:mod:`.library`), loading for training (:mod:`.loading`), checking and converting
Hugging Face checkpoints (:mod:`.checkpoint`, :mod:`.convert`), GGUF import (:mod:`.gguf`), the demo model, adding a
folder someone already has (:mod:`.add`, named by :mod:`.naming`) and the models already on this computer
(:mod:`.discover`: the Hugging Face and ModelScope caches, LM Studio, Ollama).

Importing this package loads no MLX (the heavy work imports it when it runs).
"""

from mlxstudio.core.models.add import add_model_folder
from mlxstudio.core.models.convert import convert_model
from mlxstudio.core.models.demo_model import DEMO_MODEL_NAME, install_demo_model
from mlxstudio.core.models.discover import FoundModel, discover_models, find_local_copy
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
from mlxstudio.core.models.naming import model_name_for

__all__ = [
    "DEMO_MODEL_NAME",
    "SOURCE_FILE",
    "FoundModel",
    "ModelInfo",
    "add_model_folder",
    "convert_model",
    "default_model_name",
    "delete_model",
    "discover_models",
    "estimate_training_memory",
    "find_local_copy",
    "import_gguf",
    "inspect_model",
    "install_demo_model",
    "list_models",
    "model_name_for",
    "read_source",
    "resolve_model",
    "resolve_model_path",
    "validate_model_dir",
    "write_source",
]
