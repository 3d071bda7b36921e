"""Datasets: reading and writing the files (:mod:`.fileio`), checking every row (:mod:`.validate`), editing with undo
(:mod:`.edit`), recovery files, train/valid/test splits and token counts; :mod:`.dataset` puts them together.

The public surface is below; other modules of the package are its internals (tests may still reach into them).
"""

from mlxstudio.core.data.dataset import (
    COLUMNS,
    DATA_SUFFIXES,
    FORMATS,
    SPLITS,
    Conversion,
    Dataset,
    DatasetStats,
    FieldMap,
    Problem,
    dataset_stats,
    detect_format,
    find_leakage,
    find_split_files,
    load_dataset,
    load_training_data,
    new_row,
    save_dataset,
    split_counts,
    split_dataset,
    validate_dataset,
    validate_row,
    write_splits,
)
from mlxstudio.core.data.recovery import Recovered, clear_recovery, read_recovery, write_recovery
from mlxstudio.core.data.tokens import (
    TokenCount,
    TokenView,
    count_all,
    count_tokens,
    load_tokenizer,
    supports_thinking_switch,
    token_view,
)
from mlxstudio.core.data.validate import row_key

__all__ = [
    "COLUMNS",
    "DATA_SUFFIXES",
    "FORMATS",
    "SPLITS",
    "Conversion",
    "Dataset",
    "DatasetStats",
    "FieldMap",
    "Problem",
    "Recovered",
    "TokenCount",
    "TokenView",
    "clear_recovery",
    "count_all",
    "count_tokens",
    "dataset_stats",
    "detect_format",
    "find_leakage",
    "find_split_files",
    "load_dataset",
    "load_tokenizer",
    "load_training_data",
    "new_row",
    "read_recovery",
    "row_key",
    "save_dataset",
    "split_counts",
    "split_dataset",
    "supports_thinking_switch",
    "token_view",
    "validate_dataset",
    "validate_row",
    "write_recovery",
    "write_splits",
]
