"""Models already on this computer: the Hugging Face cache, the ModelScope cache, LM Studio's models folder and
Ollama's store — only those known folders are looked at (their environment variables respected), and only small
files are read (configs, safetensors headers, Ollama's JSON manifests), so a scan takes well under a second.

Layouts (as the tools write them):

- **Hugging Face** (``HF_HUB_CACHE``, else ``HF_HOME/hub``, else ``$XDG_CACHE_HOME/huggingface/hub``, else
  ``~/.cache/huggingface/hub``): ``models--<org>--<name>/snapshots/<revision>/`` (files are links into ``blobs/``),
  ``refs/main`` names the current revision.
- **ModelScope** (``MODELSCOPE_CACHE``, else ``~/.cache/modelscope``; older clients used its ``hub/`` subfolder):
  ``models/<org>/<name>`` with dots in the name written ``___`` (``Qwen3-0___6B``), the older ``<org>/<name>``, and
  modelscope_hub's ``models/<org>--<name>/snapshots/<revision>/``.
- **LM Studio**: ``~/.lmstudio/models/<publisher>/<model>/`` (older: ``~/.cache/lm-studio/models``): GGUF files or
  an MLX safetensors folder.
- **Ollama** (``OLLAMA_MODELS``, else ``~/.ollama/models``, on Linux also the service's
  ``/usr/share/ollama/.ollama/models``): ``manifests/<registry>/<namespace>/<name>/<tag>``
  (JSON; the layer of mediaType ``application/vnd.ollama.image.model`` is the GGUF) → ``blobs/sha256-<hex>``.

Safetensors folders are used as they are (linked or copied into the library); GGUF files go through the importer.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlxstudio.core import paths
from mlxstudio.core.errors import ModelError
from mlxstudio.core.events import CancelCheck, is_cancelled
from mlxstudio.core.models.library import read_source, validate_model_dir, weight_files
from mlxstudio.core.models.naming import cache_repo_id, model_name_for, safe_name, unmangle

STORES = {"huggingface": "Hugging Face cache", "modelscope": "ModelScope cache", "lmstudio": "LM Studio",
          "ollama": "Ollama"}
OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
OLLAMA_LINUX_SERVICE = Path("/usr/share/ollama/.ollama/models")
"""Where Ollama's Linux install script (a system service running as the ``ollama`` user) keeps its models."""
_GGUF_QUANT = re.compile(r"(?<![A-Za-z0-9])(I?Q\d(?:_[0-9A-Z]+)*|BF16|F16|F32)(?![A-Za-z0-9])", re.IGNORECASE)
_MS_RESERVED = {"models", "datasets", "hub", "agent", "ast_indexer", "modelscope_modules"}


@dataclass(frozen=True)
class FoundModel:
    """One model found on this computer.

    ``path``: the model folder (safetensors) or the ``.gguf`` file / Ollama blob; ``kind``: "mlx" (saved by MLX),
    "safetensors" (a Hugging Face checkpoint, loads as it is) or "gguf" (imported); ``type``: what the weights are
    ("safetensors bfloat16", "MLX float32", "MLX 4-bit g64", "GGUF Q4_K_M"); ``name``: what the store calls it
    (``Qwen/Qwen3-0.6B``, ``llama3.2:1b``); ``library_name``: the name it gets when added; ``in_library``: the
    library has it already; ``problem``: why it cannot be added as it is (incomplete download), else None.
    """

    store: str
    name: str
    path: Path
    kind: str
    type: str
    size_bytes: int
    library_name: str
    repo_id: str | None = None
    in_library: bool = False
    problem: str | None = None

    @property
    def store_label(self) -> str:
        """The store's name for people ("Hugging Face cache")."""
        return STORES.get(self.store, self.store)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able (``models found --json``)."""
        return {"store": self.store, "name": self.name, "path": str(self.path), "kind": self.kind,
                "type": self.type, "size_bytes": self.size_bytes, "library_name": self.library_name,
                "repo_id": self.repo_id, "in_library": self.in_library, "problem": self.problem}


# ---------------------------------------------------------------------------------------------------------------
# where the stores are


def store_roots(env: Mapping[str, str] | None = None, home: Path | None = None) -> dict[str, list[Path]]:
    """The folders each store keeps its models in (existing or not), environment variables respected."""
    env = os.environ if env is None else env
    home = Path.home() if home is None else Path(home)
    cache = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else home / ".cache"
    if env.get("HF_HUB_CACHE"):
        hf = Path(env["HF_HUB_CACHE"])
    elif env.get("HF_HOME"):
        hf = Path(env["HF_HOME"]) / "hub"
    else:
        hf = cache / "huggingface" / "hub"
    ms = Path(env["MODELSCOPE_CACHE"]) if env.get("MODELSCOPE_CACHE") else home / ".cache" / "modelscope"
    ollama = [Path(env["OLLAMA_MODELS"]).expanduser()] if env.get("OLLAMA_MODELS") else [home / ".ollama" / "models"]
    if not env.get("OLLAMA_MODELS") and sys.platform.startswith("linux"):
        ollama.append(OLLAMA_LINUX_SERVICE)
    return {"huggingface": [hf.expanduser()], "modelscope": [ms.expanduser(), ms.expanduser() / "hub"],
            "lmstudio": [home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"],
            "ollama": ollama}


def _dirs(folder: Path) -> list[Path]:
    with contextlib.suppress(OSError):
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    return []


def _size(files: list[Path]) -> int:
    total = 0
    for f in files:
        with contextlib.suppress(OSError):
            total += f.stat().st_size
    return total


def _folder_size(folder: Path) -> int:
    with contextlib.suppress(OSError):
        return _size([p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")])
    return 0


# ---------------------------------------------------------------------------------------------------------------
# what a folder holds


def gguf_type(name: str) -> str:
    """``GGUF Q4_K_M`` from a file name like ``Qwen3-0.6B-Q4_K_M.gguf`` (``GGUF`` when it does not say)."""
    found = _GGUF_QUANT.findall(Path(name).stem)
    return f"GGUF {found[-1].upper()}" if found else "GGUF"


def _safetensors_type(folder: Path) -> tuple[str, str]:
    """(kind, type) of a safetensors model folder, from its config and the first shard's header."""
    from mlxstudio.core.models.convert import quantization, weights_format

    fmt = weights_format(folder)
    q = quantization(folder)
    if q is not None and q.get("bits"):
        return "mlx" if fmt == "mlx" else "safetensors", f"{'MLX ' if fmt == 'mlx' else ''}{q.get('bits')}-bit" + (
            f" g{q['group_size']}" if q.get("group_size") else "")
    from mlxstudio.core.models.library import inspect_model

    kind = "mlx" if fmt == "mlx" else "safetensors"
    with contextlib.suppress(ModelError, OSError):
        dtype = inspect_model(folder).dtype
        return kind, f"{'MLX' if kind == 'mlx' else 'safetensors'} {dtype}".strip()
    return kind, "MLX" if kind == "mlx" else "safetensors"


def _entries(store: str, folder: Path, repo_id: str | None, label: str, known: set[Path]) -> Iterator[FoundModel]:
    """The models in one folder: the folder itself when it is a safetensors checkpoint, and each GGUF file."""
    if weight_files(folder) or ((folder / "config.json").is_file() and any(folder.glob("*.safetensors"))):
        problem = None
        try:
            validate_model_dir(folder)
        except ModelError as exc:
            problem = str(exc)
        kind, kind_type = _safetensors_type(folder)
        yield FoundModel(store, label, folder, kind, kind_type, _folder_size(folder),
                         model_name_for(folder, repo_id), repo_id, _resolved(folder) in known, problem)
    with contextlib.suppress(OSError):
        for f in sorted(folder.glob("*.gguf")):
            if f.name.lower().startswith("mmproj"):  # a vision projector, not a language model
                continue
            yield FoundModel(store, f"{label} · {f.name}", f, "gguf", gguf_type(f.name), _size([f]),
                             safe_name(f.stem), repo_id, _resolved(f) in known)


def _resolved(p: Path) -> Path:
    with contextlib.suppress(OSError):
        return p.resolve()
    return p


def library_origins(root: Path | None = None) -> set[Path]:
    """Resolved folders/files the library's models were added or imported from (``added_from`` / ``gguf_file``
    in their ``mlxstudio.json``, or the folder a linked model points to)."""
    lib = Path(root) if root is not None else paths.models_dir()
    out: set[Path] = set()
    for child in _dirs(lib):
        src = read_source(child)
        for key in ("added_from", "gguf_file"):
            if src.get(key):
                out.add(_resolved(Path(str(src[key]))))
        if child.is_symlink():
            out.add(_resolved(child))
    return out


# ---------------------------------------------------------------------------------------------------------------
# the stores


def _snapshot(repo: Path) -> Path | None:
    """The current snapshot of a cached repository: the one ``refs/main`` names, else the newest."""
    with contextlib.suppress(OSError):
        ref = (repo / "refs" / "main").read_text(encoding="utf-8").strip()
        if ref and (repo / "snapshots" / ref).is_dir():
            return repo / "snapshots" / ref
    snaps = _dirs(repo / "snapshots")
    return max(snaps, key=lambda p: p.stat().st_mtime) if snaps else None


def _huggingface(root: Path, known: set[Path]) -> Iterator[FoundModel]:
    with contextlib.suppress(OSError):
        repos = sorted(p for p in root.iterdir() if p.name.startswith("models--") and p.is_dir())
        for repo in repos:
            snap = _snapshot(repo)
            repo_id = cache_repo_id(snap) if snap else None
            if snap is not None and repo_id:
                yield from _entries("huggingface", snap, repo_id, repo_id, known)


def _modelscope(base: Path, known: set[Path]) -> Iterator[FoundModel]:
    folders: list[tuple[Path, str]] = []
    for owner in _dirs(base / "models"):
        if "--" in owner.name:  # modelscope_hub: models/<org>--<name>/snapshots/<rev>
            snap = _snapshot(owner)
            repo_id = cache_repo_id(snap) if snap else None
            if snap is not None and repo_id:
                folders.append((snap, repo_id))
            continue
        folders += [(m, f"{owner.name}/{unmangle(m.name)}") for m in _dirs(owner)]
    for owner in _dirs(base):  # the older <org>/<name>
        if owner.name in _MS_RESERVED or owner.name.startswith("_"):
            continue
        folders += [(m, f"{owner.name}/{unmangle(m.name)}") for m in _dirs(owner)]
    for folder, repo_id in folders:
        yield from _entries("modelscope", folder, repo_id, repo_id, known)


def _lmstudio(root: Path, known: set[Path]) -> Iterator[FoundModel]:
    for publisher in _dirs(root):
        for model in _dirs(publisher):
            repo_id = f"{publisher.name}/{model.name}"
            yield from _entries("lmstudio", model, repo_id, repo_id, known)


def _ollama_name(rel: tuple[str, ...]) -> str:
    """``llama3.2:1b`` for ``registry.ollama.ai/library/llama3.2/1b``; other namespaces and hosts are kept."""
    host, namespace, name, tag = rel
    prefix = "" if host == "registry.ollama.ai" and namespace == "library" else (
        f"{namespace}/" if host == "registry.ollama.ai" else f"{host}/{namespace}/")
    return f"{prefix}{name}:{tag}"


def _read_json(path: Path) -> dict[str, Any]:
    with contextlib.suppress(OSError, ValueError):
        if path.stat().st_size < 4 << 20:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                return data
    return {}


def _blob(root: Path, digest: Any) -> Path | None:
    if not isinstance(digest, str) or ":" not in digest:
        return None
    blob = root / "blobs" / digest.replace(":", "-")
    old = root / "blobs" / digest  # Ollama before 0.1.30 kept the colon
    return old if not blob.exists() and old.exists() else blob


def _ollama(root: Path, known: set[Path]) -> Iterator[FoundModel]:
    manifests = root / "manifests"
    if not manifests.is_dir():
        return
    for dirpath, _dirnames, filenames in os.walk(manifests):
        for tag in sorted(filenames):
            path = Path(dirpath) / tag
            rel = path.relative_to(manifests).parts
            if len(rel) != 4 or tag.startswith("."):
                continue
            manifest = _read_json(path)
            layers = [la for la in manifest.get("layers") or [] if isinstance(la, dict)]
            model = next((la for la in layers if la.get("mediaType") == OLLAMA_MODEL_LAYER), None)
            blob = _blob(root, (model or {}).get("digest"))
            if blob is None:
                continue
            config = _read_json(_blob(root, (manifest.get("config") or {}).get("digest")) or root / "-")
            file_type = str(config.get("file_type") or "")
            name = _ollama_name(rel)
            problem = None if blob.is_file() else f"the model file {blob.name} is missing from Ollama's store"
            lib_name = safe_name(rel[2] if rel[3] == "latest" else f"{rel[2]}-{rel[3]}")
            yield FoundModel("ollama", name, blob, "gguf", f"GGUF {file_type}".strip(),
                             int((model or {}).get("size") or _size([blob])), lib_name, None,
                             _resolved(blob) in known, problem)


_SCANNERS = {"huggingface": _huggingface, "modelscope": _modelscope, "lmstudio": _lmstudio, "ollama": _ollama}


def discover_models(env: Mapping[str, str] | None = None, home: Path | None = None,
                    stores: tuple[str, ...] = tuple(STORES), cancel: CancelCheck = None) -> list[FoundModel]:
    """Every model in the known stores (see the module docstring), each once; ``in_library`` marks those added."""
    known = library_origins()
    seen: set[Path] = set()
    found: list[FoundModel] = []
    roots = store_roots(env, home)
    for store in stores:
        for root in roots[store]:
            if is_cancelled(cancel):
                return found
            if not root.is_dir():
                continue
            for item in _SCANNERS[store](root, known):
                key = Path(os.path.abspath(item.path))  # roots may overlap (MODELSCOPE_CACHE and its hub/)
                if key not in seen:
                    seen.add(key)
                    found.append(item)
    return found


def find_local_copy(model_id: str, env: Mapping[str, str] | None = None,
                    home: Path | None = None) -> FoundModel | None:
    """A complete safetensors copy of ``model_id`` (``org/name``) in the Hugging Face or ModelScope cache, or None."""
    want = model_id.strip().lower()
    for item in discover_models(env, home, stores=("huggingface", "modelscope")):
        if item.kind != "gguf" and item.problem is None and (item.repo_id or "").lower() == want:
            from mlxstudio.core.models.checkpoint import check_model_folder

            with contextlib.suppress(ModelError):
                check_model_folder(item.path)
                return item
    return None
