"""Is a Hugging Face / MLX checkpoint folder complete? config.json, every safetensors shard whole, a tokenizer.

Used after a download or a conversion, before the folder goes into the library (the files' headers only).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from mlxstudio.core.errors import ModelError
from mlxstudio.core.fsutil import human_bytes
from mlxstudio.core.i18n import _
from mlxstudio.core.models.library import TOKENIZER_FILES, validate_model_dir


def _safetensors_ok(path: Path) -> str | None:
    """None when the file's header is readable and its size matches the header; else what is wrong."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            raw = fh.read(8)
            if len(raw) < 8:
                return "is empty or truncated"
            (n,) = struct.unpack("<Q", raw)
            if n > min(size, 200_000_000):
                return "has a corrupt header"
            header = json.loads(fh.read(n))
    except (OSError, ValueError, struct.error) as exc:
        return f"is not a readable .safetensors file ({exc})"
    end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
    if 8 + n + end != size:
        return f"is truncated ({human_bytes(size)}, expected {human_bytes(8 + n + end)})"
    return None


def check_model_folder(folder: Path) -> None:
    """A downloaded folder has what mlx-lm needs: config.json, complete weights, a tokenizer. Raises ModelError.

    Then :func:`~mlxstudio.core.models.library.validate_model_dir` runs the library's own checks too.
    """
    cfg_path = folder / "config.json"
    try:
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(_("{cfg_path}: missing — the download is incomplete").format(cfg_path=cfg_path)) from exc
    except (OSError, ValueError) as exc:
        raise ModelError(_("{cfg_path}: not valid JSON ({exc})").format(cfg_path=cfg_path, exc=exc)) from exc
    if not isinstance(config, dict) or "model_type" not in config:
        raise ModelError(_("{cfg_path}: no \"model_type\" — not a transformers/MLX model config").format(
            cfg_path=cfg_path))
    weights = sorted(folder.glob("model*.safetensors"))
    if not weights:
        raise ModelError(_("{folder}: no model*.safetensors weights — the download is incomplete").format(
            folder=folder))
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        try:
            shards = set(json.loads(index.read_text(encoding="utf-8")).get("weight_map", {}).values())
        except (OSError, ValueError) as exc:
            raise ModelError(_("{index}: not valid JSON ({exc})").format(index=index, exc=exc)) from exc
        missing = sorted(s for s in shards if not (folder / s).is_file())
        if missing:
            raise ModelError(_("{folder}: weight files {join} are missing — the download is "
                                      "incomplete").format(folder=folder, join=', '.join(missing)))
    for w in weights:
        problem = _safetensors_ok(w)
        if problem:
            raise ModelError(f"{w}: {problem}")
    if not any((folder / t).is_file() for t in TOKENIZER_FILES) and not list(folder.glob("*.tiktoken")):
        raise ModelError(_("{folder}: no tokenizer (tokenizer.json / tokenizer.model) — the model cannot be "
                                  "used without one").format(folder=folder))
    validate_model_dir(folder)
