"""Convert a Hugging Face-format model folder to MLX format with ``mlx_lm.convert`` (optionally quantized to 4/8 bits).

When is this needed? mlx-lm loads a Hugging Face safetensors model (torch-style weight names) directly — it renames
the weights while loading — so a downloaded ``Qwen/Qwen3-0.6B`` works as it is. Converting is useful to make it
smaller and faster: 4-bit weights take ~1/4 of the bf16 size and are what QLoRA trains on a Mac. A repository with
PyTorch ``.bin`` weights only cannot be converted here (mlx-lm reads safetensors only); the download refuses such a
repository before fetching anything (:func:`mlxstudio.core.hub.common.select_files`).

The conversion runs in a staging folder next to the target and moves into place only when complete.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import struct
import time
from pathlib import Path
from typing import Any

from mlxstudio.core import errors, paths
from mlxstudio.core import events as ev
from mlxstudio.core.events import CancelCheck, is_cancelled
from mlxstudio.core.i18n import _
from mlxstudio.core.models.checkpoint import check_model_folder
from mlxstudio.core.models.library import write_source

QUANT_BITS = (2, 3, 4, 5, 6, 8)
DEFAULT_GROUP_SIZE = 64


def weights_format(model_dir: Path) -> str:
    """"mlx" when the weights were saved by MLX (their safetensors metadata says so), "hf" for other safetensors,
    "none" when there are no ``model*.safetensors``."""
    files = sorted(Path(model_dir).glob("model*.safetensors"))
    if not files:
        return "none"
    try:
        with open(files[0], "rb") as fh:
            (n,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(min(n, 100_000_000)))
    except (OSError, ValueError, struct.error):
        return "hf"
    meta = header.get("__metadata__") or {}
    return "mlx" if meta.get("format") == "mlx" else "hf"


def quantization(model_dir: Path) -> dict[str, Any] | None:
    """The model's quantization settings from config.json (``{"bits": 4, "group_size": 64}``), or None."""
    try:
        cfg = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    q = cfg.get("quantization") or cfg.get("quantization_config")
    return q if isinstance(q, dict) else None


class _PrintRelay(io.TextIOBase):
    """Receives what ``mlx_lm.convert`` prints: turns it into events, and stops it when the user cancels."""

    def __init__(self, sink: ev.Sink, cancel: CancelCheck, steps: int) -> None:
        self._sink = sink
        self._cancel = cancel
        self._steps = steps
        self._buf = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if is_cancelled(self._cancel):
            raise errors.Cancelled(_("conversion cancelled — nothing was added to the library"))
        self._buf += text
        while "\n" in self._buf:
            line, self._buf = self._buf.split("\n", 1)
            line = line.strip()
            if not line:
                continue
            msg = line.removeprefix("[INFO]").strip()
            if msg.startswith("Quantizing"):
                self._sink(ev.Progress(job="convert", done=1, total=self._steps, unit="step",
                                       message=_("quantizing and saving")))
            self._sink(ev.Log(msg))
        return len(text)


def convert_model(src: str | Path, dst: str | Path | None = None, *, quantize: int | None = 4,
                  group_size: int = DEFAULT_GROUP_SIZE, dtype: str | None = None, name: str | None = None,
                  source: str | None = None, sink: ev.Sink = ev.null_sink, cancel: CancelCheck = None) -> Path:
    """Convert the model folder ``src`` with ``mlx_lm.convert`` and return the new folder.

    ``quantize``: bits (4 or 8 usually; None keeps float weights, cast to ``dtype`` — "float16", "bfloat16",
    "float32" — or the model's own dtype). ``dst``: the output folder; default the library, under ``name`` (default
    ``<src name>-<bits>bit``). The output must not exist yet. ``source`` is recorded in ``mlxstudio.json``.
    """
    from mlxstudio.core.runtime.mlxrt import mx  # noqa: F401  (BLAS before mlx-lm)

    src = Path(src)
    if quantize is not None and quantize not in QUANT_BITS:
        raise errors.UserError(_("cannot quantize to {quantize} bits — choose one of {join}").format(
            quantize=quantize, join=', '.join(map(str, QUANT_BITS))))
    check_model_folder(src)
    fmt = weights_format(src)
    q = quantization(src)
    if quantize is not None and q is not None:
        raise errors.ModelError(_("{name} is already quantized ({get}-bit) — use it as it is").format(
            name=src.name, get=q.get('bits')))
    if dst is None:
        suffix = f"-{quantize}bit" if quantize else "-mlx"
        dst = paths.models_dir() / (name or f"{src.name}{suffix}")
    dst = Path(dst)
    if dst.exists():
        raise errors.UserError(_("{dst} already exists — choose another name or delete it first").format(dst=dst))
    dst.parent.mkdir(parents=True, exist_ok=True)
    staging = dst.parent / f".{dst.name}.converting-{int(time.time())}"
    steps = 2
    sink(ev.Progress(job="convert", done=0, total=steps, unit="step",
                     message=_("loading {name} ({value} weights)").format(
                         name=src.name, value='MLX' if fmt == 'mlx' else 'Hugging Face')))
    from mlx_lm.convert import convert

    relay = _PrintRelay(sink, cancel, steps)
    try:
        if is_cancelled(cancel):
            raise errors.Cancelled(_("conversion cancelled — nothing was added to the library"))
        with contextlib.redirect_stdout(relay):
            convert(str(src), str(staging), quantize=quantize is not None, q_bits=quantize,
                    q_group_size=group_size if quantize is not None else None, dtype=dtype)
        if is_cancelled(cancel):
            raise errors.Cancelled(_("conversion cancelled — nothing was added to the library"))
        (staging / "README.md").unlink(missing_ok=True)  # mlx-lm's card points at a Hub repo we did not upload
        check_model_folder(staging)
        write_source(staging, source or f"converted: {src.name}", converted_from=src.name,
                     quantization=f"{quantize}-bit g{group_size}" if quantize else (dtype or "original dtype"))
        staging.rename(dst)
    except ValueError as exc:  # mlx-lm refuses (e.g. a group size that does not divide a weight)
        raise errors.ModelError(_("mlx-lm could not convert {name}: {exc}").format(name=src.name, exc=exc)) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    sink(ev.Progress(job="convert", done=steps, total=steps, unit="step", message=_("done")))
    return dst
