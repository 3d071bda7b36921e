"""Download a dataset repository from ModelScope or Hugging Face — only its data files, resumable, verified.

    from mlxstudio.core.hub.datasets import download_dataset
    folder = download_dataset("huggingface", "tatsu-lab/alpaca", sink=print)

The steps of a model download (:func:`~mlxstudio.core.hub.download.fetch_repo`, with the same progress events,
cancel, resume, hub errors and staging folder, here ``paths.downloads_dir()/<hub>/datasets/<owner>--<name>/``),
with the clients' ``repo_type="dataset"``. What is fetched: the data files (:data:`DATA_SUFFIXES`, in any folder
of the repository but hidden ones) and the dataset card (``README.md``); not loading scripts, archives, images or
whatever else a repository holds. The verified folder moves in one rename to ``paths.datasets_dir()/<name>``
(default name: the part of the id after the slash) and records where it came from in :data:`SOURCE_FILE`.

Which split each file holds and reading its rows is the data layer's: :mod:`mlxstudio.core.data.hub_layout`.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from mlxstudio.core import errors, fsutil, paths
from mlxstudio.core import events as ev
from mlxstudio.core.events import CancelCheck
from mlxstudio.core.hub import common as hc
from mlxstudio.core.hub.common import DatasetExists, UnsupportedDataset, normalize_hub
from mlxstudio.core.hub.download import HUBS, fetch_repo, move_into_place, provenance, run_guarded
from mlxstudio.core.i18n import N_, _, ngettext

__all__ = ["CARD_FILES", "DATA_SUFFIXES", "SOURCE_FILE", "dataset_source", "download_dataset",
           "select_dataset_files"]

DATA_SUFFIXES = (".parquet", ".jsonl", ".json", ".csv", ".tsv")
"""The data files a dataset download fetches: what :func:`mlxstudio.core.data.load_dataset` reads (the same set as
:data:`mlxstudio.core.data.DATA_SUFFIXES`; the hub layer does not import the data layer)."""
CARD_FILES = ("README.md",)
"""Fetched too (top level only): the dataset card, which says what the columns and splits are."""
METADATA_FILES = frozenset({"dataset_infos.json", "dataset_info.json", "dataset_dict.json", "state.json"})
"""``.json`` files the ``datasets`` library writes next to the data: descriptions, not rows."""
SOURCE_FILE = ".mlxstudio.json"
"""Where a downloaded dataset came from (hidden: it is not a data file)."""


def _is_data_file(path: str) -> bool:
    parts = path.split("/")
    if any(p.startswith(".") for p in parts) or parts[-1] in METADATA_FILES:
        return False
    return parts[-1].lower().endswith(DATA_SUFFIXES)


def select_dataset_files(listing: hc.Listing) -> list[hc.RemoteFile]:
    """The dataset card and the data files of a dataset repository — or a clear error when it has no data files."""
    data = [f for f in listing.files if _is_data_file(f.path)]
    if not data:
        where = f"{listing.repo_id} on {HUBS[listing.hub]}"
        others = sorted({Path(f.path).suffix.lower() for f in listing.files if Path(f.path).suffix} - {".md"})
        seen = f" (it has {', '.join(others[:6])} files)" if others else ""
        raise UnsupportedDataset(_("{where} has no data files we can read{seen} — pick a dataset with "
                                   "{join} files (archives and loading "
                                   "scripts are not used)").format(
                                       where=where, seen=seen, join=', '.join(s.lstrip('.') for s in DATA_SUFFIXES)))
    card = [f for f in listing.files if f.path.lower() in {c.lower() for c in CARD_FILES}]
    return card + sorted(data, key=lambda f: f.path)


def dataset_source(folder: Path) -> dict[str, Any]:
    """What :data:`SOURCE_FILE` of a downloaded dataset says (hub, dataset_id, revision, files…), or {}."""
    try:
        data = json.loads((Path(folder) / SOURCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def download_dataset(hub: str, dataset_id: str, name: str | None = None, token: str | None = None,
                     endpoint: str | None = None, sink: ev.Sink = ev.null_sink, cancel: CancelCheck = None, *,
                     refresh: bool = False) -> Path:
    """Download the data files of ``dataset_id`` from ``hub`` ("modelscope" | "huggingface"); returns the folder.

    ``name``: the folder in ``paths.datasets_dir()`` (default: the part of the id after the slash). ``token``,
    ``endpoint``, ``sink``, ``cancel``: as for :func:`~mlxstudio.core.hub.download.download_model`. A dataset
    downloaded before is returned as it is, without asking the hub, unless ``refresh`` (download it again; the old
    folder is replaced only once the new one is complete).

    Raises :class:`~mlxstudio.core.errors.Cancelled` (the partial download is kept for a resume),
    :class:`~mlxstudio.core.hub.common.DatasetNotFound`, :class:`~mlxstudio.core.hub.common.UnsupportedDataset`,
    :class:`~mlxstudio.core.hub.common.DatasetExists` (the name holds something else) and the other hub errors.
    """
    hub = normalize_hub(hub)
    dataset_id = hc.check_repo_id(dataset_id, "dataset")
    name = hc.library_name(dataset_id, name, "dataset")
    target = paths.datasets_dir() / name
    if target.exists():
        _check_same(target, hub, dataset_id)
        if not refresh:
            sink(ev.Log(_("{dataset_id} was downloaded before — using {target} as it is (refresh to download it "
                          "again).").format(dataset_id=dataset_id, target=target)))
            return _finished(target, hub, dataset_id, sink, N_("is already"))
    staging = hc.staging_dir(hub, dataset_id, "dataset")
    return run_guarded(hub, dataset_id, staging, token, sink, cancel,
                       lambda: _download(hub, dataset_id, target, staging, token, endpoint, sink, cancel),
                       repo_type="dataset")


def _check_same(target: Path, hub: str, dataset_id: str) -> None:
    """Raise :class:`DatasetExists` unless ``target`` is an earlier download of this dataset from this hub."""
    src = dataset_source(target)
    if src.get("hub") == hub and src.get("dataset_id") == dataset_id:
        return
    what = (f"{src.get('dataset_id')} from {HUBS.get(str(src.get('hub')), src.get('hub'))}"
            if src.get("dataset_id") else "other files")
    raise DatasetExists(_("{target} already holds {what} — choose another name for {dataset_id} or delete that "
                          "folder first.").format(target=target, what=what, dataset_id=dataset_id))


def _download(hub: str, dataset_id: str, target: Path, staging: Path, token: str | None, endpoint: str | None,
              sink: ev.Sink, cancel: CancelCheck) -> Path:
    got = fetch_repo(hub, dataset_id, staging, token, endpoint, sink, cancel, select_dataset_files,
                     repo_type="dataset")
    fsutil.atomic_write_json(got.folder / SOURCE_FILE, {"source": f"{hub}: {dataset_id}",
                                                        **provenance(hub, got, endpoint),
                                                        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    if target.exists():  # a refresh, or someone else took the name meanwhile
        _check_same(target, hub, dataset_id)
    incoming = target.with_name(f".{target.name}.downloaded")
    shutil.rmtree(incoming, ignore_errors=True)
    move_into_place(got.folder, incoming)  # (a copy if the downloads are on another disk)
    try:
        fsutil.replace_dir(incoming, target)
    except OSError as exc:
        raise errors.disk_error(exc) or exc from None
    shutil.rmtree(staging, ignore_errors=True)
    return _finished(target, hub, dataset_id, sink, N_("is now"))


def _finished(target: Path, hub: str, dataset_id: str, sink: ev.Sink, state: str) -> Path:
    files = [f for f in dataset_source(target).get("files", []) if _is_data_file(str(f))]
    sink(ev.Finished(job="download", message=ngettext("{dataset_id} {state} in {target} ({n} data file).",
                                                      "{dataset_id} {state} in {target} ({n} data files).",
                                                      len(files)).format(
                                                   dataset_id=dataset_id, state=_(state), target=target, n=len(files)),
                     result={"path": str(target), "name": target.name, "hub": hub, "dataset_id": dataset_id,
                             "files": files}))
    return target
