"""Splitting a dataset into train / valid / test (deterministic with a seed) and checking splits for leakage."""

from __future__ import annotations

import contextlib
import os
import random
from pathlib import Path
from typing import Any

from mlxstudio.core.data.edit import Dataset
from mlxstudio.core.data.fileio import write_jsonl
from mlxstudio.core.data.validate import Problem, row_key
from mlxstudio.core.errors import UserError
from mlxstudio.core.i18n import N_, _

SPLITS = ("train", "valid", "test")


def split_counts(n: int, valid_fraction: float, test_fraction: float) -> tuple[int, int, int]:
    """How many rows go to (train, valid, test). A non-zero fraction gets at least one row while train keeps ≥ 1."""
    for label, f in ((N_("valid"), valid_fraction), (N_("test"), test_fraction)):
        if not 0 <= f < 1:
            raise UserError(_("the {label} fraction must be between 0 and 1 (got {f}) — e.g. 0.1 for 10 %").format(
                label=_(label), f=f))
    if valid_fraction + test_fraction >= 1:
        raise UserError(_("valid + test fractions add up to {valid_fraction:g}, leaving nothing to "
                          "train on — keep their sum below 1 (e.g. 0.1 and 0.1)").format(
                              valid_fraction=valid_fraction + test_fraction))
    n_valid = round(n * valid_fraction)
    n_test = round(n * test_fraction)
    if valid_fraction > 0 and n_valid == 0 and n >= 2:
        n_valid = 1
    if test_fraction > 0 and n_test == 0 and n - n_valid >= 2:
        n_test = 1
    while n_valid + n_test > max(n - 1, 0):  # keep at least one training row
        if n_test > 0:
            n_test -= 1
        elif n_valid > 0:
            n_valid -= 1
        else:
            break
    return n - n_valid - n_test, n_valid, n_test


def split_dataset(ds: Dataset, valid_fraction: float, test_fraction: float, seed: int) -> dict[str, Dataset]:
    """Shuffle with ``seed`` and cut into train/valid/test. Exact duplicate rows stay together in one split, so the
    split itself never leaks a row into valid/test. Same input and seed → same split."""
    _, n_valid, n_test = split_counts(len(ds), valid_fraction, test_fraction)
    groups: dict[Any, list[int]] = {}
    for i, row in enumerate(ds.rows):
        groups.setdefault(row_key(row), []).append(i)
    order = list(groups.values())
    random.Random(seed).shuffle(order)
    parts: dict[str, list[int]] = {"test": [], "valid": [], "train": []}
    targets = {"test": n_test, "valid": n_valid}
    for group in order:
        for name in ("test", "valid"):
            if len(parts[name]) + len(group) <= targets[name] and len(parts[name]) < targets[name]:
                parts[name].extend(group)
                break
        else:
            parts["train"].extend(group)
    out: dict[str, Dataset] = {}
    for name in SPLITS:
        idx = parts[name]
        out[name] = Dataset(ds.format, [ds.rows[i] for i in idx], None, [ds.lines[i] for i in idx])
    return out


def find_leakage(splits: dict[str, Dataset]) -> list[Problem]:
    """Warnings for rows of valid/test that also appear, exactly, in train (they make validation loss look too good)."""
    train = splits.get("train")
    if train is None:
        return []
    train_keys = {row_key(r): i for i, r in enumerate(train.rows)}
    problems: list[Problem] = []
    for name in ("valid", "test"):
        part = splits.get(name)
        if part is None:
            continue
        for i, row in enumerate(part.rows):
            j = train_keys.get(row_key(row))
            if j is not None:
                problems.append(Problem(i, part.lines[i], "warning",
                                        f"{name} row {i + 1} is also train row {j + 1} — a duplicate across splits "
                                        f"makes the {name} loss look better than it is; delete one", None))
    return problems


def write_splits(splits: dict[str, Dataset], out_dir: Path) -> dict[str, Path]:
    """Write ``train.jsonl``, ``valid.jsonl`` and (when not empty) ``test.jsonl`` into ``out_dir``, each atomically, in
    mlx-lm's JSONL format. An old ``test.jsonl`` is removed when the new test split is empty. Returns the paths."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(_("{out_dir} is a file — choose a folder for the dataset splits").format(out_dir=out_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    staged: list[tuple[Path, Path]] = []
    try:  # every split to a complete temp file first: a full disk never leaves a new train with an old valid
        for name in SPLITS:
            part = splits.get(name)
            target = out_dir / f"{name}.jsonl"
            if part is None or (name == "test" and len(part) == 0):
                continue
            tmp = out_dir / f".{target.name}.{os.getpid()}.split.tmp"
            write_jsonl(part.rows, tmp)
            staged.append((tmp, target))
            written[name] = target
    except BaseException:
        for tmp, _target in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
    old_test = out_dir / "test.jsonl"
    if "test" not in written and old_test.exists():
        old_test.unlink()
    return written
