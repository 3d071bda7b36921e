"""Model and dataset hubs: downloads from ModelScope and Hugging Face through their own clients (:mod:`.modelscope`,
:mod:`.huggingface`), with resume, progress and checks shared in :mod:`.common`; :mod:`.download` puts them together
for a model, :mod:`.datasets` for a dataset's data files.
"""

from mlxstudio.core.hub.common import (
    HUB_LABELS,
    DatasetExists,
    DatasetNotFound,
    RepoNotFound,
    UnsupportedDataset,
    check_model_id,
    check_repo_id,
    library_name,
)
from mlxstudio.core.hub.datasets import download_dataset
from mlxstudio.core.hub.download import (
    HUBS,
    SUGGESTED_MODELS,
    AuthRequired,
    ChecksumMismatch,
    DiskFull,
    HubError,
    ModelExists,
    ModelNotFound,
    NetworkError,
    ServerError,
    Suggestion,
    UnsupportedModel,
    download_model,
    normalize_hub,
    staging_info,
)

__all__ = [
    "HUBS", "HUB_LABELS", "SUGGESTED_MODELS", "AuthRequired", "ChecksumMismatch", "DatasetExists", "DatasetNotFound",
    "DiskFull", "HubError", "ModelExists", "ModelNotFound", "NetworkError", "RepoNotFound", "ServerError",
    "Suggestion", "UnsupportedDataset", "UnsupportedModel", "check_model_id", "check_repo_id", "download_dataset",
    "download_model", "library_name", "normalize_hub", "staging_info",
]
