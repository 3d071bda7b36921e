"""mlx-lm's ``hf_dataset`` config block, as ``mlxstudio-cli train --config`` reads it: the datasets are downloaded
from Hugging Face with its own client, their splits selected with mlx-lm's slice syntax and written as
``train``/``valid``/``test.jsonl`` into a folder that the run trains on (so it can be resumed and looked at).

    hf_dataset:                      # or a list of such entries (their rows are concatenated, as mlx-lm does)
      path: "tatsu-lab/alpaca"
      train_split: "train[:1000]"    # mlx-lm's defaults: train[:80%] and train[-10%:]; test_split only if given
      valid_split: "train[-100:]"
      prompt_feature: "instruction"  # the *_feature keys: which field is what
      completion_feature: "output"
      config: {name: "main"}         # a subset of a dataset with several (gsm8k's main/socratic)
      endpoint: "https://hf-mirror.com"   # MLX Studio's own key; HF_ENDPOINT works too, as for mlx-lm

Glue between two engine layers that do not know each other (``hub`` downloads, ``data`` reads the splits).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from mlxstudio.core import events as ev
from mlxstudio.core import paths
from mlxstudio.core.errors import UserError
from mlxstudio.core.i18n import _
from mlxstudio.core.training.config import FEATURE_KEYS

DEFAULT_SPLITS = {"train": "train[:80%]", "valid": "train[-10%:]"}
"""mlx-lm 0.32's defaults for ``train_split`` / ``valid_split`` (``test_split`` has none: no test rows)."""


def entries(block: Any) -> list[dict[str, Any]]:
    """The ``hf_dataset`` value as a list of entries, each with a ``path`` (UserError naming what is wrong)."""
    items = block if isinstance(block, list) else [block]
    out = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("path"), str) or not item["path"].strip():
            raise UserError(_("hf_dataset entry {i}: needs a path (a Hugging Face dataset id such as "
                              "tatsu-lab/alpaca)").format(i=i))
        out.append(item)
    return out


def materialize(block: Any, sink: ev.Sink = ev.null_sink, cancel: Any = None,
                features: dict[str, str] | None = None, hub: str = "huggingface") -> Path:
    """Download every entry of an ``hf_dataset`` block and write the selected rows as a split folder; return it.

    ``features`` (from the config's top level or the command line) apply where an entry names none of its own."""
    from mlxstudio.core.data import Dataset, FieldMap, load_split, save_dataset
    from mlxstudio.core.hub import download_dataset

    chosen: dict[str, list[Dataset]] = {"train": [], "valid": [], "test": []}
    names = []
    for entry in entries(block):
        repo = entry["path"].strip()
        names.append(repo.rsplit("/", 1)[-1])
        own = {FEATURE_KEYS[k]: str(v) for k, v in entry.items() if k in FEATURE_KEYS and v}
        mapping = FieldMap(own or features or {}) or None
        subset = (entry.get("config") or {}).get("name") if isinstance(entry.get("config"), dict) else None
        endpoint = entry.get("endpoint") or os.environ.get("HF_ENDPOINT") or None  # a mirror (hf-mirror.com…)
        folder = download_dataset(hub, repo, endpoint=endpoint, sink=sink, cancel=cancel)
        specs = {"train": entry.get("train_split", DEFAULT_SPLITS["train"]),
                 "valid": entry.get("valid_split", DEFAULT_SPLITS["valid"]), "test": entry.get("test_split")}
        for split, spec in specs.items():
            if spec:
                chosen[split].append(load_split(folder, f"{subset}/{spec}" if subset else str(spec), mapping))
    dest = paths.datasets_dir() / ("hf_dataset-" + re.sub(r"[^\w.-]+", "_", "+".join(names)))
    dest.mkdir(parents=True, exist_ok=True)
    for split, parts in chosen.items():
        target = dest / f"{split}.jsonl"
        if not parts:
            target.unlink(missing_ok=True)
            continue
        formats = {p.format for p in parts}
        if len(formats) > 1:
            raise UserError(_("hf_dataset: the {split} rows of the datasets are in different formats "
                              "({join}) — train them one at a time").format(
                                  split=split, join=', '.join(sorted(formats))))
        save_dataset(Dataset(parts[0].format, [r for p in parts for r in p.rows]), target)
        sink(ev.Log(f"hf_dataset: {split} — {sum(len(p) for p in parts):,} rows → {target}"))
    return dest
