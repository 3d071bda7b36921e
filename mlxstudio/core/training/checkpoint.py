"""Complete, atomic training checkpoints for exact resume.

A checkpoint is a folder ``<adapter dir>/checkpoints/<iteration, 7 digits>/`` holding

- ``adapters.safetensors`` — the trainable (adapter) weights,
- ``optimizer.safetensors`` — ``tree_flatten(optimizer.state)`` (Adam moments, step count = LR-schedule position)
  plus a partially accumulated gradient under ``grad_accum.*`` when gradient accumulation is mid-way,
- ``state.json`` — iteration, the MLX RNG key, report accumulators, early-stopping state, metrics so far, the config,
- ``manifest.json`` — written last: every file's size and SHA-256. A folder without a valid manifest is incomplete.

It is written into a hidden temp folder (each file fsynced), the manifest last, then renamed into place, so a crash at
any moment leaves either the previous checkpoint or the new one. The batch order needs no saved state: it is a
function of (seed, step) (see :class:`~mlxstudio.core.training.batching.BatchOrder`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlxstudio.core.fsutil import _fsync_dir

CHECKPOINTS_DIR = "checkpoints"
MANIFEST = "manifest.json"
FORMAT_VERSION = 1


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_atomic(dst: Path, write: Callable[[Path], object]) -> None:
    """``write`` a temp file next to ``dst`` (``.<stem>.<pid>.tmp<suffix>``), fsync it, rename it over ``dst``."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.stem}.{os.getpid()}.tmp{dst.suffix}")
    try:
        write(tmp)
        _fsync_file(tmp)
        os.replace(tmp, dst)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    _fsync_dir(dst.parent)


def save_safetensors_atomic(path: Path, arrays: dict[str, Any], metadata: dict[str, str] | None = None) -> None:
    """``mx.save_safetensors`` to a temp file next to ``path``, fsync, rename over ``path``."""
    from mlxstudio.core.runtime.mlxrt import mx

    _replace_atomic(path, lambda tmp: mx.save_safetensors(str(tmp), arrays, metadata=metadata or {}))


def copy_file_atomic(src: Path, dst: Path) -> None:
    """Copy ``src`` over ``dst`` via a temp file next to ``dst`` (fsynced, renamed): ``dst`` is never half-written."""
    _replace_atomic(dst, lambda tmp: shutil.copyfile(src, tmp))


def checkpoint_dir(root: Path, iteration: int) -> Path:
    """Where the checkpoint of ``iteration`` lives under the adapter folder ``root``."""
    return root / CHECKPOINTS_DIR / f"{iteration:07d}"


def save_checkpoint(root: Path, iteration: int, adapters: dict[str, Any], optimizer_state: dict[str, Any],
                    state: dict[str, Any], keep: int = 2) -> Path:
    """Write a complete checkpoint atomically; keep the newest ``keep`` ones (and any named in ``state['keep']``)."""
    from mlxstudio.core.runtime.mlxrt import mx

    final = checkpoint_dir(root, iteration)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        mx.save_safetensors(str(tmp / "adapters.safetensors"), adapters)
        mx.save_safetensors(str(tmp / "optimizer.safetensors"), optimizer_state)
        (tmp / "state.json").write_text(json.dumps(state, ensure_ascii=False, allow_nan=True), encoding="utf-8")
        files = {}
        for name in ("adapters.safetensors", "optimizer.safetensors", "state.json"):
            p = tmp / name
            _fsync_file(p)
            files[name] = {"size": p.stat().st_size, "sha256": _sha256(p)}
        manifest = {"format": FORMAT_VERSION, "iteration": iteration, "files": files}
        with open(tmp / MANIFEST, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(tmp)
        if final.exists():  # re-saving the same iteration (e.g. a resumed run's end): replace it
            shutil.rmtree(final)
        os.replace(tmp, final)
        _fsync_dir(final.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(root, keep)
    return final


def _prune(root: Path, keep: int) -> None:
    folder = root / CHECKPOINTS_DIR
    done = sorted(p for p in folder.iterdir() if p.is_dir() and p.name.isdigit() and (p / MANIFEST).exists())
    for old in done[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    remove_stale_temps(root)


def remove_stale_temps(root: Path) -> None:
    """Delete temp files/folders another (killed) process left in the adapter folder ``root``."""
    folder = root / CHECKPOINTS_DIR
    for stale in folder.glob(".*.tmp") if folder.is_dir() else []:  # a checkpoint folder of a killed process
        if str(os.getpid()) not in stale.name:
            shutil.rmtree(stale, ignore_errors=True)
    for stale_file in root.glob(".*.tmp.safetensors"):  # a half-written adapter file (save_safetensors_atomic)
        if f".{os.getpid()}." not in stale_file.name:
            stale_file.unlink(missing_ok=True)


def verify_checkpoint(path: Path, full: bool = True) -> str | None:
    """None if the checkpoint at ``path`` is complete, else what is wrong (``full`` also checks SHA-256)."""
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "no valid manifest (the checkpoint was not finished)"
    for name, info in manifest.get("files", {}).items():
        p = path / name
        if not p.exists():
            return f"{name} is missing"
        if p.stat().st_size != info.get("size"):
            return f"{name} has the wrong size"
        if full and _sha256(p) != info.get("sha256"):
            return f"{name} is corrupted (checksum mismatch)"
    return None


def latest_checkpoint(root: Path) -> Path | None:
    """The newest complete checkpoint under ``root`` (incomplete or corrupted ones are skipped), or None."""
    folder = root / CHECKPOINTS_DIR
    if not folder.is_dir():
        return None
    for p in sorted((p for p in folder.iterdir() if p.is_dir() and p.name.isdigit()), reverse=True):
        if verify_checkpoint(p) is None:
            return p
    return None


def load_checkpoint(path: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(adapter weights, flat optimizer state, state.json) of the checkpoint at ``path``."""
    from mlxstudio.core.runtime.mlxrt import mx

    adapters = mx.load(str(path / "adapters.safetensors"))
    optimizer = mx.load(str(path / "optimizer.safetensors"))
    state = json.loads((path / "state.json").read_text(encoding="utf-8"))
    return adapters, optimizer, state  # type: ignore[return-value]
