"""A dataset folder as the hubs lay it out: its data files, the split each holds, and the rows of a split spec.

    files = list_data_files(folder)                # [DataFile("data/train-00000-of-00001.parquet", "train"), …]
    splits = dataset_splits(folder)                # {"train": [...], "test": [...]}
    ds = load_split(folder, "train[:1000]")        # a Dataset: the first 1000 rows of the train files

The split of a file comes from its name or its folders, as Hugging Face's ``datasets`` library reads them: the words
``train``/``training``, ``validation``/``valid``/``val``/``dev``, ``test``/``testing``/``eval``/``evaluation``
set apart by ``-``, ``_``, ``.``, a space or digits (``data/train-00000-of-00001.parquet``, ``train.jsonl``,
``test/part-0.jsonl``, ``my_dev_set.csv``). When no file names a split, every file is ``train``; a file that names
none while others do is a split of its own, named after the file (``extra.jsonl`` → ``extra``). Folders other than
``data`` and split names make subsets (Hugging Face "configs", e.g. ``main/`` and ``socratic/`` in gsm8k): then the
split names carry them, ``main/train``.

A split spec is mlx-lm's (Hugging Face's) syntax: ``train``, ``train[:1000]``, ``train[10:20]``, ``train[-100:]``,
``train[:80%]``, ``train[-10%:]``, and ``+`` to join several (``train+validation[:50]``); ``valid``, ``dev``… name the
validation split too. Rows are read with :func:`~mlxstudio.core.data.load_dataset`, file by file in name order.

This module knows folders, not hubs (``core.data`` and ``core.hub`` are independent layers):
:mod:`mlxstudio.core.hub.datasets` downloads the folder.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from mlxstudio.core.data.dataset import DATA_SUFFIXES, FieldMap, load_dataset
from mlxstudio.core.data.edit import Dataset
from mlxstudio.core.data.shapes import Conversion
from mlxstudio.core.errors import UserError
from mlxstudio.core.i18n import _

__all__ = ["SPLIT_NAMES", "DataFile", "SplitSlice", "dataset_splits", "list_data_files", "load_split",
           "parse_split_spec"]

METADATA_FILES = frozenset({"dataset_infos.json", "dataset_info.json", "dataset_dict.json", "state.json"})
"""``.json`` files that describe a dataset rather than hold its rows."""
SPLIT_NAMES: dict[str, tuple[str, ...]] = {
    "train": ("train", "training"),
    "validation": ("validation", "valid", "val", "dev"),
    "test": ("test", "testing", "eval", "evaluation"),
}
"""The canonical split names and the words that name them in file and folder names (Hugging Face's list)."""
_KEYWORD = {word: split for split, words in SPLIT_NAMES.items() for word in words}
_WORDS = re.compile(r"[-._ 0-9]+")
_SHARD = re.compile(r"[-_.]?\d+(?:-of-\d+)?$")
_BOUND = r"\s*(-?\d+%?)?\s*"
_SPEC = re.compile(rf"^\s*(?P<name>[^\[\]:+]+?)\s*(?:\[(?P<start>{_BOUND}):(?P<stop>{_BOUND})\])?\s*$")


@dataclass(frozen=True)
class DataFile:
    """One data file of a dataset folder."""

    path: Path
    """The file."""
    relpath: str
    """Its path inside the folder (``/`` separated), e.g. ``data/train-00000-of-00001.parquet``."""
    split: str
    """``train``, ``validation``, ``test``, or the name of a split of its own."""
    subset: str | None = None
    """The subset (Hugging Face "config") it belongs to, when the folder has several; None otherwise."""

    @property
    def key(self) -> str:
        """The split as a spec names it: ``train``, or ``main/train`` in a folder with subsets."""
        return f"{self.subset}/{self.split}" if self.subset else self.split


@dataclass(frozen=True)
class SplitSlice:
    """One part of a split spec: a split and the bounds of a Python slice (an int, ``"10%"``, or None)."""

    split: str
    start: int | str | None = None
    stop: int | str | None = None

    def bounds(self, rows: int) -> tuple[int, int]:
        """``(start, stop)`` as row indices into a split of ``rows`` rows (``slice`` semantics, clipped)."""
        return slice(_absolute(self.start, rows), _absolute(self.stop, rows)).indices(rows)[:2]

    @property
    def absolute(self) -> bool:
        """True when the rows are known without counting the split (no %, no negative bound)."""
        return all(b is None or (isinstance(b, int) and b >= 0) for b in (self.start, self.stop))

    def __str__(self) -> str:
        if self.start is None and self.stop is None:
            return self.split
        return f"{self.split}[{'' if self.start is None else self.start}:{'' if self.stop is None else self.stop}]"


def _absolute(bound: int | str | None, rows: int) -> int | None:
    if isinstance(bound, str):  # "10%" / "-10%": rounded to the nearest row, as the datasets library does
        return round(int(bound[:-1]) * rows / 100)
    return bound


def _is_data_file(relpath: str) -> bool:
    parts = relpath.split("/")
    if any(p.startswith(".") for p in parts) or parts[-1] in METADATA_FILES:
        return False
    return parts[-1].lower().endswith(DATA_SUFFIXES)


def _split_word(text: str) -> str | None:
    """The split a file or folder name names (its first split word), or None."""
    for word in _WORDS.split(text.lower()):
        if word in _KEYWORD:
            return _KEYWORD[word]
    return None


def _classify(relpath: str) -> tuple[str | None, str | None]:
    """(split named by the file or its folders — the file's name first, then the nearest folder; subset)."""
    *folders, filename = relpath.split("/")
    stem = filename
    for suffix in DATA_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    split = _split_word(stem)
    subset_parts: list[str] = []
    for folder in reversed(folders):
        named = _split_word(folder)
        if named is not None and split is None:
            split = named
        elif named is None and folder.lower() != "data":
            subset_parts.insert(0, folder)
    return split, "/".join(subset_parts) or None


def _own_split_name(relpath: str) -> str:
    """The split name of a file that names none: its name without the shard number (``extra-00000-of-00002``)."""
    stem = relpath.rsplit("/", 1)[-1]
    for suffix in DATA_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    return _SHARD.sub("", stem) or stem


def list_data_files(folder: str | Path) -> list[DataFile]:
    """The data files of a dataset folder (any depth; hidden files and folders skipped), each with its split.

    Sorted by split (train, validation, test, then others by name), then path. Raises ``UserError`` when the folder
    does not exist or has no data files.
    """
    root = Path(folder)
    if not root.is_dir():
        raise UserError(_("{root} is not a folder — download the dataset first").format(root=root))
    found = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    relpaths = [r for r in found if _is_data_file(r)]
    if not relpaths:
        raise UserError(_("{root} has no data files ({join})").format(
            root=root, join=', '.join(s.lstrip('.') for s in DATA_SUFFIXES)))
    classified = {r: _classify(r) for r in relpaths}
    any_named = any(split is not None for split, _ in classified.values())
    subsets = {subset for _, subset in classified.values()}
    files = []
    for rel, (split, subset) in classified.items():
        if split is None:
            split = _own_split_name(rel) if any_named else "train"
        files.append(DataFile(root / rel, rel, split, subset if len(subsets) > 1 else None))
    order = {name: i for i, name in enumerate(SPLIT_NAMES)}
    return sorted(files, key=lambda f: (f.subset or "", order.get(f.split, len(order)), f.split, f.relpath))


def dataset_splits(folder: str | Path) -> dict[str, list[DataFile]]:
    """The splits of a dataset folder: ``{"train": [files…], "test": [...]}`` (keys ``subset/split`` when the
    folder has subsets), in the order of :func:`list_data_files`."""
    splits: dict[str, list[DataFile]] = {}
    for f in list_data_files(folder):
        splits.setdefault(f.key, []).append(f)
    return splits


def parse_split_spec(spec: str) -> list[SplitSlice]:
    """``"train[:1000]+test"`` → ``[SplitSlice("train", None, 1000), SplitSlice("test")]``; ``UserError`` if bad."""
    parts = []
    for piece in str(spec).split("+"):
        m = _SPEC.match(piece)
        if m is None or not m.group("name").strip():
            raise UserError(_("{spec!r} is not a split spec — write e.g. train, train[:1000], train[10:20] or "
                              "train[:80%]").format(spec=spec))
        bounds: list[int | str | None] = []
        for text in (m.group("start"), m.group("stop")):
            text = (text or "").strip()
            if text.endswith("%") and abs(int(text[:-1])) > 100:
                raise UserError(_("{spec!r}: a percentage must be between -100% and 100%").format(spec=spec))
            bounds.append(None if not text else text if text.endswith("%") else int(text))
        parts.append(SplitSlice(m.group("name").strip(), bounds[0], bounds[1]))
    return parts


def _canonical(name: str) -> str:
    """``valid`` → ``validation``, ``main/dev`` → ``main/validation`` (other names as they are)."""
    subset, _, split = name.rpartition("/")
    split = _KEYWORD.get(split.lower(), split)
    return f"{subset}/{split}" if subset else split


def _split_files(splits: dict[str, list[DataFile]], name: str, folder: Path) -> list[DataFile]:
    for key in (name, _canonical(name)):
        if key in splits:
            return splits[key]
    matches = [k for k in splits if "/" in k and _canonical(k.rsplit("/", 1)[1]) == _canonical(name)]
    have = ", ".join(splits)
    if len(matches) > 1:
        raise UserError(_("{name} has the split {name2!r} in several subsets — name one: {join}").format(
            name=folder.name, name2=name, join=', '.join(matches)))
    if len(matches) == 1:
        return splits[matches[0]]
    raise UserError(_("{name} has no split {name2!r} — it has {have}").format(name=folder.name, name2=name, have=have))


class _Reader:
    """Reads the files of one :func:`load_split` call: one format for all, the first conversion (Alpaca…) kept."""

    def __init__(self, mapping: FieldMap | None) -> None:
        self.mapping = mapping
        self.format: str | None = None
        self.conversion: Conversion | None = None

    def rows(self, files: list[DataFile], part: SplitSlice) -> list[dict]:
        """The rows ``part`` selects from the split's ``files`` (read only as far as needed when the bounds allow)."""
        rows: list[dict] = []
        need = part.stop if part.absolute and isinstance(part.stop, int) else None
        for f in files:
            if need is not None and len(rows) >= need:
                break
            ds = load_dataset(f.path, self.mapping)
            if len(ds) and self.format is not None and ds.format != self.format:
                raise UserError(_("{relpath} holds {format} rows and the files before it {format2} rows — "
                                  "select one of them with a split spec").format(
                                      relpath=f.relpath, format=ds.format, format2=self.format))
            if len(ds) and self.format is None:
                self.format = ds.format
            if self.conversion is None:
                self.conversion = ds.conversion
            rows.extend(ds.rows)
        start, stop = part.bounds(len(rows))
        return rows[start:stop]


def load_split(folder: str | Path, spec: str = "train", mapping: FieldMap | None = None) -> Dataset:
    """The rows a split spec selects from a dataset folder, as one :class:`~mlxstudio.core.data.Dataset` (no file of
    its own; ``conversion`` says how the files were converted, when they are Alpaca, ShareGPT…). ``mapping``: the
    fields that hold prompt/completion/text/messages, as for :func:`~mlxstudio.core.data.load_dataset`.

    Raises ``UserError`` for a bad spec, a split the folder does not have (the message lists those it has), a slice
    that selects no rows, or files of different formats; ``DataError`` (``file:line``) for an unreadable file.
    """
    root = Path(folder)
    parts = parse_split_spec(spec)
    splits = dataset_splits(root)
    reader = _Reader(mapping)
    rows: list[dict] = []
    for part in parts:
        rows.extend(reader.rows(_split_files(splits, part.split, root), part))
    if not rows or reader.format is None:
        raise UserError(_("{spec!r} selects no rows of {name} — check the slice").format(spec=spec, name=root.name))
    conversion = dataclasses.replace(reader.conversion, rows=len(rows)) if reader.conversion else None
    return Dataset(reader.format, rows, conversion=conversion)
