"""The name a model folder brought from elsewhere gets in the library: from its repository, never from a cache's
mangled folder name.

ModelScope's cache writes ``Qwen/Qwen3-0.6B`` as ``Qwen/Qwen3-0___6B`` (dots replaced by ``___``); the Hugging Face
cache as ``models--Qwen--Qwen3-0.6B/snapshots/<revision>``. The name comes, in this order, from the repository id the
caller knows (a discovered store entry), the checkpoint's own ``config.json`` (``_name_or_path``), ModelScope's
``configuration.json``, the cache layout around the folder, and last the folder's name — always un-mangled.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

MANGLED_DOT = "___"
"""What ModelScope's cache puts in place of a dot in a repository name."""
_UNSAFE = re.compile(r"[^\w.+-]+")


def unmangle(name: str) -> str:
    """``Qwen3-0___6B`` → ``Qwen3-0.6B`` (ModelScope's cache folder names)."""
    return name.replace(MANGLED_DOT, ".")


def safe_name(name: str) -> str:
    """A folder name for the library: letters, digits, ``-``, ``_``, ``.``, ``+``; other runs become ``-``."""
    cleaned = _UNSAFE.sub("-", unmangle(name).strip()).strip("-.")
    return cleaned or "model"


def _read(path: Path) -> dict[str, Any]:
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            return data
    return {}


def _repo_tail(value: Any) -> str | None:
    """The model's name in a repository id or a path (``Qwen/Qwen3-0.6B``, ``/x/Qwen3-0___6B``), or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    parts = [p for p in re.split(r"[/\\]", value.strip()) if p]
    if not parts:
        return None
    cached = cache_repo_id(Path(value))  # …/models--org--name/snapshots/<rev>
    if cached:
        return cached.split("/")[-1]
    tail = parts[-1]
    if tail in (".", "..") or tail.startswith("tmp"):
        return None
    return tail


def cache_repo_id(folder: Path) -> str | None:
    """``org/name`` when ``folder`` is a snapshot in a Hugging Face-style cache: ``models--org--name/snapshots/x``
    (Hugging Face) or ``models/org--name/snapshots/x`` (modelscope_hub)."""
    parts = Path(folder).parts
    if len(parts) < 3 or parts[-2] != "snapshots":
        return None
    repo = parts[-3]
    if repo.startswith("models--"):  # Hugging Face: models--org--name
        repo = repo[len("models--"):]
    elif len(parts) < 4 or parts[-4] != "models":  # modelscope_hub: models/org--name
        return None
    owner, sep, name = repo.partition("--")
    return f"{owner}/{unmangle(name)}" if sep and owner and name else None


def model_name_for(folder: Path, repo_id: str | None = None) -> str:
    """The library name for the model in ``folder`` (see the module docstring); never ``___``-mangled."""
    folder = Path(folder)
    candidates: list[str | None] = [_repo_tail(repo_id)]
    config = _read(folder / "config.json")
    candidates.append(_repo_tail(config.get("_name_or_path")))
    ms = _read(folder / "configuration.json")
    for key in ("model_id", "model_name_or_path", "_name_or_path", "name"):
        candidates.append(_repo_tail(ms.get(key)))
    cached = cache_repo_id(folder)
    candidates.append(cached.split("/")[-1] if cached else None)
    candidates.append(folder.name)
    for c in candidates:
        if c:
            return safe_name(c)
    return "model"
