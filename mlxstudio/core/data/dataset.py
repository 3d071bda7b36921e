"""Datasets: load, validate, edit, save and split the prompt/completion pairs a model is fine-tuned on.

This module puts the dataset engine together (Qt-free); the work is done in :mod:`.fileio` (files), :mod:`.validate`
(checks), :mod:`.edit` (the :class:`Dataset` object) and :mod:`.split` (splits).

    ds = load_dataset("pairs.jsonl")          # or .csv; DataError(file:line) when unusable
    problems = validate_dataset(ds)           # [Problem(row, line, "error"|"warning", message, key)]
    splits = split_dataset(ds, 0.1, 0.1, seed=0)
    write_splits(splits, Path("data/"))       # train.jsonl, valid.jsonl, test.jsonl
    data = load_training_data("data/")        # {"train": rows, "valid": rows, "test": rows} for the trainer
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlxstudio.core.data.edit import COLUMNS, Dataset, new_row
from mlxstudio.core.data.fileio import (
    DATA_SUFFIXES,
    FORMATS,
    detect_format,
    is_csv_path,
    parse_file,
    write_csv,
    write_jsonl,
)
from mlxstudio.core.data.shapes import Conversion, FieldMap
from mlxstudio.core.data.split import SPLITS, find_leakage, split_counts, split_dataset, write_splits
from mlxstudio.core.data.validate import Problem, row_chars, validate_row, validate_rows
from mlxstudio.core.errors import DataError
from mlxstudio.core.i18n import _

__all__ = [
    "COLUMNS",
    "DATA_SUFFIXES",
    "FORMATS",
    "SPLITS",
    "Conversion",
    "DataError",
    "Dataset",
    "DatasetStats",
    "FieldMap",
    "Problem",
    "dataset_stats",
    "detect_format",
    "find_leakage",
    "find_split_files",
    "load_dataset",
    "load_training_data",
    "new_row",
    "save_dataset",
    "split_counts",
    "split_dataset",
    "validate_dataset",
    "validate_row",
    "write_splits",
]

TRAINING_SPLIT_SEED = 0
"""The seed :func:`load_training_data` splits a single file with (fixed, so runs are reproducible)."""
TRAINING_VALID_FRACTION = 0.1
SMALL_SET_ROWS = 20
"""A single file with fewer rows than this is not split: every row is trained, and validation runs on the same rows
(as the seed tutorial does) — holding one of five pairs out would mean the model never learns it."""


def load_dataset(path: str | Path, mapping: FieldMap | None = None) -> Dataset:
    """Read a dataset file — JSONL, JSON array, CSV/TSV or Parquet; our formats or Alpaca/ShareGPT/OpenAI parts,
    converted (``ds.conversion`` says how), or any fields named in ``mapping``. Raises DataError(file:line)."""
    p = Path(path)
    parsed = parse_file(p, mapping=mapping)
    return Dataset(parsed.format, parsed.rows, p, list(parsed.lines), parsed.blank_lines, parsed.conversion)


def validate_dataset(ds: Dataset, max_seq_length: int | None = None, *,
                     token_counts: Sequence[int | None] | None = None,
                     prompt_token_counts: Sequence[int | None] | None = None,
                     max_chars: int | None = None) -> list[Problem]:
    """Check every row: errors (missing keys, wrong types, empty prompt/completion, chat without an assistant turn,
    a row in another format) and warnings (duplicates, unknown keys, rows over ``max_seq_length`` tokens when
    ``token_counts`` are given, or over ``max_chars`` characters)."""
    return validate_rows(ds.rows, ds.format, ds.lines, max_seq_length=max_seq_length, token_counts=token_counts,
                         prompt_token_counts=prompt_token_counts, max_chars=max_chars)


def save_dataset(ds: Dataset, path: str | Path | None = None) -> Path:
    """Write the dataset atomically as .jsonl or .csv (by extension; default ``ds.path``). Updates ``ds.path`` and
    the rows' line numbers. The previous file stays intact if anything fails."""
    target = Path(path) if path is not None else ds.path
    if target is None:
        raise DataError(_("the dataset has no file yet — choose where to save it"))
    if ds.conversion is not None and ds.path is not None and target.resolve() == ds.path.resolve():
        raise DataError(_("was converted from {label}; the original file stays as it is — save the "
                          "converted rows as a new .jsonl file").format(label=_(ds.conversion.label)), str(target))
    try:
        if is_csv_path(target):
            lines = write_csv(ds.rows, ds.format, target, str(target))
        else:
            lines = write_jsonl(ds.rows, target)
    except OSError as exc:
        raise DataError(_("could not be saved ({strerror}) — your edits are still here; free some disk "
                          "space or choose another folder").format(strerror=exc.strerror or exc), str(target)) from None
    ds.path = target
    ds.lines = list(lines)
    ds.blank_lines = 0
    ds.conversion = None  # the file now holds our rows
    return target


def _errors_to_data_error(problems: list[Problem], name: str) -> DataError | None:
    errors = [p for p in problems if p.severity == "error"]
    if not errors:
        return None
    first = errors[0]
    more = f" (and {len(errors) - 1} more errors — run `mlxstudio-cli data validate` to list them)" \
        if len(errors) > 1 else ""
    if first.line is None:
        return DataError(_("row {row}: {message}{more}").format(
            row=first.row + 1, message=first.message, more=more), name)
    return DataError(first.message + more, name, first.line)


def find_split_files(folder: Path) -> dict[str, Path]:
    """The split files of a folder as mlx-lm reads it: ``train``/``valid``/``test`` with any of
    :data:`DATA_SUFFIXES` (the first found in that order)."""
    found: dict[str, Path] = {}
    for name in SPLITS:
        for ext in DATA_SUFFIXES:
            f = folder / f"{name}{ext}"
            if f.is_file():
                found[name] = f
                break
    return found


def load_training_data(path: str | Path, mapping: FieldMap | None = None) -> dict[str, list[dict]]:
    """The rows the trainer uses: ``{"train": [...], "valid": [...], "test": [...]}``.

    ``path`` is a folder with ``train`` and ``valid`` files (``test`` optional; see :func:`find_split_files`), each
    read on its own as mlx-lm does — the splits may be in different formats (the tutorial's folder: completion pairs
    to train, WikiSQL text rows to validate) — or one file, which is split with a fixed seed (10 % valid; a small set
    still keeps ≥ 1 valid row when it has ≥ 2 rows). A file with fewer than :data:`SMALL_SET_ROWS` rows is not split:
    train on all of it, validate on the same rows. Every row is validated; any error raises DataError naming
    ``file:line``."""
    p = Path(path)
    if not p.exists():
        raise DataError(_("not found — choose a dataset file or a folder with train.jsonl and valid.jsonl"), str(p))
    parts: dict[str, Dataset] = {}
    if p.is_dir():
        parts = {name: load_dataset(f, mapping) for name, f in find_split_files(p).items()}
        if "train" not in parts:
            raise DataError(_("has no train.jsonl (or train.json, .csv, .parquet) — save a split from the Data page or "
                              "run `mlxstudio-cli data split`"), str(p))
    else:
        whole = load_dataset(p, mapping)
        if len(whole) < SMALL_SET_ROWS:
            parts = {"train": whole, "valid": whole}
        else:
            parts = split_dataset(whole, TRAINING_VALID_FRACTION, 0.0, TRAINING_SPLIT_SEED)
        for part in parts.values():
            part.path = p
    for ds in parts.values():
        err = _errors_to_data_error(validate_dataset(ds), str(ds.path) if ds.path else str(p))
        if err is not None:
            raise err
    return {name: list(parts[name].rows) if name in parts else [] for name in SPLITS}


@dataclass(frozen=True)
class DatasetStats:
    """Sizes of a dataset in characters (tokens need a tokenizer: see ``dataset_tokens``)."""

    rows: int
    format: str
    min_chars: int
    mean_chars: float
    max_chars: int
    blank_lines: int


def dataset_stats(ds: Dataset) -> DatasetStats:
    """Row count and character lengths."""
    sizes = [row_chars(r) for r in ds.rows] or [0]
    return DatasetStats(len(ds), ds.format, min(sizes), sum(sizes) / len(sizes), max(sizes), ds.blank_lines)
