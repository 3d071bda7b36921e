"""Add a model folder someone already has (``modelscope download --local_dir …``, a Hugging Face or ModelScope cache
snapshot, LM Studio's folder) — or a GGUF file, or a folder holding one — to the library.

A Hugging Face / ModelScope checkpoint (``model*.safetensors`` in bfloat16/float16/float32, sharded or not, with or
without MLX quantization; extra files such as ModelScope's ``configuration.json`` are simply kept) is loaded by
mlx-lm as it is, so nothing is converted: the library gets a folder of links to its files (``mode="link"``, the
default: no second copy on disk, the original folder is never written to) or a copy (``mode="copy"``, with
progress). It is converted only when it has to be: a GGUF goes through :func:`~.gguf.importer.import_gguf`, and
``quantize=`` (4/8 bits) makes a smaller MLX model with ``mlx_lm.convert`` (:func:`~.convert.convert_model`).
The name comes from the checkpoint (:func:`~.naming.model_name_for`), never from a cache's ``___``-mangled folder.

Everything is assembled in a hidden staging folder and moved into the library in one rename; a cancel or an error
leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from mlxstudio.core import errors, paths
from mlxstudio.core import events as ev
from mlxstudio.core.events import CancelCheck, is_cancelled
from mlxstudio.core.i18n import _
from mlxstudio.core.models.checkpoint import check_model_folder
from mlxstudio.core.models.library import SOURCE_FILE, read_source, validate_model_dir, weight_files, write_source
from mlxstudio.core.models.naming import model_name_for, safe_name

MODES = ("link", "copy")
CHUNK = 8 << 20


def _gguf_in(folder: Path) -> Path | None:
    """The one GGUF model file of a folder without safetensors weights (None: none; several: an error)."""
    files = [f for f in sorted(folder.glob("*.gguf")) if not f.name.lower().startswith("mmproj")]
    if len(files) > 1:
        raise errors.ModelError(_("{folder} holds {n} GGUF files ({join}): "
                                  "add the one you want (a file, not the folder).").format(
                                      folder=folder, n=len(files), join=', '.join(f.name for f in files[:4])))
    return files[0] if files else None


def _is_gguf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"GGUF"
    except OSError:
        return False


def already_added(src: Path, root: Path | None = None) -> Path | None:
    """The library model that was added from ``src`` (the same folder or file), or None."""
    lib = Path(root) if root is not None else paths.models_dir()
    want = src.resolve()
    if not lib.is_dir():
        return None
    for child in sorted(lib.iterdir()):
        if child.name.startswith(".") or not child.is_dir():
            continue
        recorded = read_source(child)
        origin = recorded.get("added_from") or recorded.get("gguf_file")
        if origin and Path(str(origin)).expanduser().resolve() == want:
            return child
    return None


def _target_name(src: Path, name: str | None, repo_id: str | None) -> str:
    lib = paths.models_dir()
    if name:
        clean = name.strip()
        if not clean or clean != safe_name(clean) or clean.startswith("."):
            raise errors.UserError(_("{name!r} cannot be a model name — use letters, digits, '-', '_' or '.'").format(
                name=name))
        if (lib / clean).exists():
            raise errors.UserError(_("the library already has a model named {clean!r} — choose another name "
                                     "(--name) or delete that one first").format(clean=clean))
        return clean
    return paths.unique_name(lib, model_name_for(src, repo_id))


def _copy_file(src: Path, dst: Path, done: int, total: int, sink: ev.Sink, cancel: CancelCheck) -> int:
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while chunk := fin.read(CHUNK):
            if is_cancelled(cancel):
                raise errors.Cancelled(_("adding the model cancelled — nothing was added to the library"))
            fout.write(chunk)
            done += len(chunk)
            sink(ev.Progress(job="add-model", done=done, total=total, unit="B", message=_("copying {name}").format(
                name=src.name)))
    shutil.copystat(src, dst, follow_symlinks=True)
    return done


def _fill(src: Path, staging: Path, mode: str, sink: ev.Sink, cancel: CancelCheck) -> None:
    """Links to (or copies of) ``src``'s files in ``staging``; hidden files and our own ``mlxstudio.json`` skipped."""
    entries = [p for p in sorted(src.iterdir()) if not p.name.startswith(".") and p.name != SOURCE_FILE]
    if mode == "link":
        for p in entries:  # resolved: a Hugging Face snapshot's files are themselves relative links into blobs/
            os.symlink(p.resolve(), staging / p.name, target_is_directory=p.is_dir())
        return
    files = [p for p in entries if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    done = 0
    sink(ev.Progress(job="add-model", done=0, total=total, unit="B", message=_("copying")))
    for p in entries:
        if p.is_dir():
            shutil.copytree(p, staging / p.name)
        else:
            done = _copy_file(p, staging / p.name, done, total, sink, cancel)


def _import(src: Path, gguf: Path, name: str | None, repo_id: str | None, source: str | None, sink: ev.Sink,
            cancel: CancelCheck) -> Path:
    """A GGUF (a file, a folder holding one, an Ollama blob) through the importer; returns the library folder."""
    from mlxstudio.core.models.gguf.importer import default_model_name, import_gguf

    if not _is_gguf(gguf):
        raise errors.ModelError(_("{src} is a file but not a GGUF model: add a model folder or a .gguf file").format(
            src=src))
    lib = paths.models_dir()
    if name:
        target_name = _target_name(gguf, name, repo_id)
    else:
        target_name = paths.unique_name(lib, model_name_for(src, repo_id) if src.is_dir() else
                                        default_model_name(gguf))
    link_dir = None
    if gguf.suffix.lower() != ".gguf":  # Ollama's blobs (sha256-…): MLX reads a GGUF by its extension
        lib.mkdir(parents=True, exist_ok=True)
        link_dir = lib / f".{target_name}.gguf-link-{int(time.time() * 1000)}"
        link_dir.mkdir()
        (link_dir / f"{target_name}.gguf").symlink_to(gguf.resolve())
        gguf = link_dir / f"{target_name}.gguf"
    try:
        out = import_gguf(gguf, name=target_name, sink=sink, cancel=cancel, source=source)
    finally:
        if link_dir is not None:
            shutil.rmtree(link_dir, ignore_errors=True)
    write_source(out, read_source(out).get("source") or f"gguf: {src.name}", added_from=str(src))
    return out


def add_model_folder(src: str | Path, name: str | None = None, mode: str = "link", *, repo_id: str | None = None,
                     source: str | None = None, quantize: int | None = None, sink: ev.Sink = ev.null_sink,
                     cancel: CancelCheck = None) -> Path:
    """Add the model folder (or ``.gguf`` file) ``src`` to the library and return the library folder.

    ``name``: the library name (default: from the checkpoint, made unique); ``mode``: "link" (default) or "copy";
    ``repo_id``: the repository it came from when known (a cache entry: names it); ``source``: the line recorded in
    ``mlxstudio.json`` (default ``folder: <src name>``; the full path is its ``added_from``); ``quantize``: convert
    to a 4/8-bit MLX model instead.
    A folder already added returns the model it became. Raises :class:`~mlxstudio.core.errors.ModelError` saying
    what is missing for a folder that is not a usable model.
    """
    src = Path(src).expanduser()
    if mode not in MODES:
        raise errors.UserError(_("mode must be one of {join}, not {mode!r}").format(join=', '.join(MODES), mode=mode))
    if not src.exists():
        raise errors.ModelError(_("{src}: no such folder or file").format(src=src))
    src = Path(os.path.abspath(src))
    lib = paths.models_dir()
    if src.resolve().parent == lib.resolve():
        raise errors.UserError(_("{name} is already in the model library").format(name=src.name))
    existing = already_added(src)
    if existing is not None:
        sink(ev.Log(_("{src} is already in the library as {name}.").format(src=src, name=existing.name)))
        return existing
    gguf = src if src.is_file() else (None if weight_files(src) else _gguf_in(src))
    if gguf is not None:
        return _import(src, gguf, name, repo_id, source, sink, cancel)
    validate_model_dir(src)  # the clearest messages first (no config, PyTorch-only weights, unsupported type)
    check_model_folder(src)  # then every shard whole
    target_name = _target_name(src, name, repo_id)
    label = source or f"folder: {src.name}"
    if quantize:
        from mlxstudio.core.models.convert import convert_model

        out = convert_model(src, lib / target_name, quantize=quantize, source=label, sink=sink, cancel=cancel)
        write_source(out, label, added_from=str(src), repo_id=repo_id)
        return out
    lib.mkdir(parents=True, exist_ok=True)
    staging = lib / f".{target_name}.adding-{int(time.time() * 1000)}"
    staging.mkdir()
    try:
        doing = _("Linking {src} into the library as {name}…") if mode == "link" else \
            _("Copying {src} into the library as {name}…")
        sink(ev.Log(doing.format(src=src, name=target_name)))
        _fill(src, staging, mode, sink, cancel)
        if is_cancelled(cancel):
            raise errors.Cancelled(_("adding the model cancelled — nothing was added to the library"))
        write_source(staging, label, added_from=str(src), mode=mode, **({"repo_id": repo_id} if repo_id else {}))
        validate_model_dir(staging)
        target = lib / target_name
        if target.exists():
            raise errors.UserError(_("the library already has a model named {target_name!r} — choose another name")
                .format(target_name=target_name))
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # rmtree removes links, never what they point to
    sink(ev.Finished(job="add-model", message=_("{name} is in the library as {target_name}.").format(
        name=src.name, target_name=target_name),
                     result={"path": str(target), "name": target_name, "mode": mode}))
    return target
