"""Download a model from ModelScope or Hugging Face into the library — resumable, verified, never half a model.

    from mlxstudio.core.hub.download import download_model
    path = download_model("modelscope", "Qwen/Qwen3-0.6B", sink=print)

Steps: list the repository's files → pick the ones a model needs (config, ``model*.safetensors``, tokenizer,
templates; no README, no ``.bin``/onnx/gguf duplicates, no code) → check the name is free and the disk has room →
download with the real client into a staging folder ``paths.downloads_dir()/<hub>/<owner>--<name>/files`` →
verify sizes and checksums → check the folder is a usable model → (optionally) quantize with ``mlx_lm.convert`` →
record the source in ``mlxstudio.json`` → move the folder into the library in one rename.
The steps up to the verified files (:func:`fetch_repo`) and the cancel/error handling around them
(:func:`run_guarded`) serve dataset downloads too (:mod:`mlxstudio.core.hub.datasets`).

Cancel (``cancel`` set) stops within about a second, also in the middle of a file, and keeps the staging folder:
starting the same download again resumes it (ModelScope: from the byte it stopped at; Hugging Face: finished files
are kept, the interrupted file restarts). A killed process leaves the same staging state. Transient failures
(connection dropped, server errors) are retried twice; then one clear :class:`~mlxstudio.core.hub.common.HubError`
says what to do. The token is passed to the client only: it is never logged, printed, or written to any file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from mlxstudio.core import errors, logs, paths
from mlxstudio.core import events as ev
from mlxstudio.core.events import CancelCheck
from mlxstudio.core.hub import common as hc
from mlxstudio.core.hub.common import (  # re-exported: the public names of the hub feature
    AuthRequired,
    ChecksumMismatch,
    DiskFull,
    HubError,
    ModelExists,
    ModelNotFound,
    NetworkError,
    ServerError,
    UnsupportedModel,
    normalize_hub,
)
from mlxstudio.core.i18n import N_, _, ngettext
from mlxstudio.core.models.checkpoint import check_model_folder
from mlxstudio.core.models.library import write_source

__all__ = ["HUBS", "SUGGESTED_MODELS", "AuthRequired", "ChecksumMismatch", "DiskFull", "HubError", "ModelExists",
           "ModelNotFound", "NetworkError", "ServerError", "Suggestion", "UnsupportedModel", "download_model",
           "normalize_hub", "staging_info"]

HUBS = {"modelscope": "ModelScope", "huggingface": "Hugging Face"}
RETRIES = 2
"""Extra attempts after a transient failure (the clients retry single requests themselves too)."""


@dataclass(frozen=True)
class Suggestion:
    """A known small model that works with MLX Studio."""

    model_id: str
    hub: str
    note: str


SUGGESTED_MODELS = (
    Suggestion("Qwen/Qwen3-0.6B", "modelscope", N_("Qwen3 0.6B, the tutorial's model (~1.5 GB, bf16)")),
    Suggestion("mlx-community/Qwen3-0.6B-4bit", "huggingface", N_("Qwen3 0.6B, 4-bit MLX (~0.35 GB)")),
    Suggestion("HuggingFaceTB/SmolLM2-135M-Instruct", "huggingface", N_("SmolLM2 135M Instruct (~0.27 GB)")),
    Suggestion("Qwen/Qwen2.5-0.5B-Instruct", "modelscope", N_("Qwen2.5 0.5B Instruct (~1 GB)")),
    Suggestion("Qwen/Qwen2.5-0.5B-Instruct", "huggingface", N_("Qwen2.5 0.5B Instruct (~1 GB)")),
    Suggestion("mlx-community/Qwen2.5-0.5B-Instruct-4bit", "huggingface", N_("Qwen2.5 0.5B Instruct, 4-bit MLX")),
    Suggestion("Qwen/Qwen3-1.7B", "modelscope", N_("Qwen3 1.7B (~4 GB, bf16)")),
)


def hub_backend(hub: str) -> ModuleType:
    """The module that talks to ``hub`` (:mod:`.modelscope` or :mod:`.huggingface`)."""
    if hub == "modelscope":
        from mlxstudio.core.hub import modelscope as hub_modelscope

        return hub_modelscope
    from mlxstudio.core.hub import huggingface as hub_hf

    return hub_hf


def _resolve_endpoint(backend: ModuleType, endpoint: str | None, repo_id: str, token: str | None,
                      repo_type: str) -> str:
    if backend.HUB == "modelscope":
        return str(backend.resolve_endpoint(endpoint, repo_id, token, repo_type))
    return str(backend.resolve_endpoint(endpoint))


def staging_info(hub: str, model_id: str, repo_type: str = "model") -> int:
    """Bytes an earlier, unfinished download of this model left in the staging folder (0: none) — "resume" hint."""
    folder = hc.staging_dir(normalize_hub(hub), hc.check_repo_id(model_id, repo_type), repo_type) / "files"
    if not folder.is_dir():
        return 0
    total = 0
    for p in folder.rglob("*"):
        with contextlib.suppress(OSError):
            if p.is_file() and ".cache" not in p.relative_to(folder).parts:
                total += p.stat().st_size
    return total


def _clean_client_files(files_dir: Path) -> None:
    """Remove what the clients keep next to the files (bookkeeping, partial files) before the move."""
    shutil.rmtree(files_dir / ".cache", ignore_errors=True)
    for p in list(files_dir.rglob("*")):
        if p.is_file() and (p.name.endswith((".incomplete", ".lock", ".parallel_tmp")) or p.name.startswith(".")):
            p.unlink(missing_ok=True)


class _Lingering(Exception):
    """Cancelled while the client's thread is blocked in a network read (a stalled connection)."""

    def __init__(self, thread: threading.Thread) -> None:
        super().__init__("download thread still stopping")
        self.thread = thread


_LINGERING: dict[Path, threading.Thread] = {}
"""Staging folder → client thread that was cancelled while stuck in a read, and has not stopped yet."""
CANCEL_GRACE = 0.8
"""Seconds a cancelled client gets to stop by itself before the download returns anyway."""


def _fetch(backend: ModuleType, listing: hc.Listing, selected: list[hc.RemoteFile], files_dir: Path, cache_dir: Path,
           tracker: hc.ProgressTracker, token: str | None, url: str, cancel: CancelCheck) -> None:
    """Run the client on its own thread so a cancel returns within a second even when a read hangs.

    Normally the client stops by itself at the next chunk (the progress hooks raise). When the connection is
    stalled, its read only ends at the client's timeout (ModelScope 60 s, Hugging Face 10 s); then this returns
    :class:`_Lingering` and the thread finishes in the background — it writes nothing more (its next hook call
    raises) and the staging lock stays held until it is gone.
    """
    box: dict[str, BaseException] = {}

    def run() -> None:
        try:
            backend.fetch(listing, selected, files_dir, cache_dir, tracker, token, url)
        except BaseException as exc:  # handed to the calling thread
            box["exc"] = exc

    thread = threading.Thread(target=run, name=f"hub-fetch {listing.repo_id}", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.1)
        if thread.is_alive() and ev.is_cancelled(cancel):
            thread.join(CANCEL_GRACE)
            if thread.is_alive():
                raise _Lingering(thread)
    if "exc" in box:
        raise box["exc"]


def _hand_over(thread: threading.Thread, lock: object, staging: Path) -> None:
    """Release the staging lock when ``thread`` (cancelled, blocked in a read) has stopped."""
    _LINGERING[staging] = thread

    def wait() -> None:
        thread.join()
        hc.release_staging_lock(lock, staging)
        if _LINGERING.get(staging) is thread:
            del _LINGERING[staging]

    threading.Thread(target=wait, name="hub-fetch-cleanup", daemon=True).start()


def _wait_for_lingering(staging: Path, sink: ev.Sink, cancel: CancelCheck) -> None:
    """A new start of a download whose last attempt is still winding down waits for it (at most the read timeout)."""
    thread = _LINGERING.get(staging)
    if thread is None or not thread.is_alive():
        return
    sink(ev.Log(_("Waiting for the previous attempt to stop (its connection had stalled)…")))
    while thread.is_alive():
        if ev.is_cancelled(cancel):
            raise hc.Abort()
        thread.join(0.1)
    while staging in _LINGERING:  # the lock is released right after the thread ends
        if ev.is_cancelled(cancel):
            raise hc.Abort()
        time.sleep(0.05)


def move_into_place(folder: Path, target: Path) -> None:
    """One rename to ``target`` (a copy first, next to the target, if the staging area is on another disk)."""
    try:
        os.replace(folder, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        tmp = target.with_name(f".{target.name}.incoming")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(folder, tmp)
        os.replace(tmp, target)


def _log_scrubbed(exc: BaseException, token: str | None) -> None:
    """Traceback to the log file, with the token (if any) blanked out."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    logs.get_logger("mlxstudio.hub").error("download failed:\n%s", hc.scrub(text, token))


def run_guarded(hub: str, repo_id: str, staging: Path, token: str | None, sink: ev.Sink, cancel: CancelCheck,
                work: Callable[[], Path], repo_type: str = "model") -> Path:
    """Run ``work`` (a download into ``staging``) holding the staging lock, and turn what can go wrong into one
    sentence: :class:`~mlxstudio.core.errors.Cancelled` (how much is kept for a resume), the hub errors with the
    token blanked out, or a :class:`~mlxstudio.core.hub.common.HubError` for a failure we do not know (logged)."""
    try:
        _wait_for_lingering(staging, sink, cancel)
        lock = hc.acquire_staging_lock(staging, repo_id)
        try:
            return work()
        except _Lingering as linger:  # cancelled, but a network read is still blocked: it keeps the lock until done
            _hand_over(linger.thread, lock, staging)
            lock = None
            raise hc.Abort() from None
        finally:
            if lock is not None:
                hc.release_staging_lock(lock, staging)
    except hc.Abort:
        kept = staging_info(hub, repo_id, repo_type)
        msg = (_("Download of {repo_id} cancelled — {kept} kept; start it again to resume.").format(
            repo_id=repo_id, kept=hc.human_bytes(kept)) if kept else
            _("Download of {repo_id} cancelled.").format(repo_id=repo_id))
        raise errors.Cancelled(msg) from None
    except errors.UserError as exc:
        if token and token in str(exc):
            raise type(exc)(hc.scrub(str(exc), token)) from None
        raise
    except Exception as exc:  # not a case we know: log (token blanked) and say it in one sentence
        _log_scrubbed(exc, token)
        raise HubError(_("Downloading {repo_id} from {hub} failed: {kind}: {error} (details in {log})").format(
            repo_id=repo_id, hub=HUBS[hub], kind=type(exc).__name__, error=hc.scrub(str(exc), token)[:200],
            log=logs.log_file().name)) from None


@dataclass(frozen=True)
class Fetched:
    """What :func:`fetch_repo` brought: the listing, the chosen files, verified in ``folder``, and the endpoint."""

    listing: hc.Listing
    files: list[hc.RemoteFile]
    folder: Path
    url: str

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def fetch_repo(hub: str, repo_id: str, staging: Path, token: str | None, endpoint: str | None, sink: ev.Sink,
               cancel: CancelCheck, select: Callable[[hc.Listing], list[hc.RemoteFile]], *,
               repo_type: str = "model", extra_space: float = 0.0) -> Fetched:
    """List ``repo_id``, ``select`` its files, check the disk (plus ``extra_space`` × the size for later steps),
    download them with the hub's client into ``staging/files`` (retrying transient failures), verify them, and
    remove the client's bookkeeping. Call it inside :func:`run_guarded`."""
    backend = hub_backend(hub)
    label = HUBS[hub]
    files_dir = staging / "files"
    cache_dir = staging / "cache"
    files_dir.mkdir(parents=True, exist_ok=True)
    url = _resolve_endpoint(backend, endpoint, repo_id, token, repo_type)
    sink(ev.Log(_("Looking up {repo_id} on {label} ({url})…").format(repo_id=repo_id, label=label, url=url)))
    hc.preflight(url, label)
    if ev.is_cancelled(cancel):
        raise hc.Abort()
    listing = backend.list_files(repo_id, url, token, repo_type)
    selected = select(listing)
    have = {f.path: hc.partial_bytes(files_dir, f) for f in selected}
    total = sum(f.size for f in selected)
    needed = total - sum(have.values()) + int(total * extra_space)
    hc.check_disk_space(needed, paths.downloads_dir())
    resumed = sum(have.values())
    sink(ev.Log(f"{len(selected)} files, {hc.human_bytes(total)}"
                + (f" ({hc.human_bytes(resumed)} already here from an earlier attempt)" if resumed else "")
                + f": {', '.join(f.path for f in selected)}"))
    tracker = hc.ProgressTracker(sink, selected, cancel, initial=have)
    tracker.emit()
    for attempt in range(RETRIES + 1):
        try:
            _fetch(backend, listing, selected, files_dir, cache_dir, tracker, token, url, cancel)
            break
        except hc.TRANSIENT as exc:
            if attempt == RETRIES:
                raise
            sink(ev.Log(_("{exc} Retrying ({attempt}/{RETRIES})…").format(
                exc=exc, attempt=attempt + 1, RETRIES=RETRIES), level="warning"))
            hc.sleep_cancellable(1.0 + attempt, cancel)
    tracker.emit()
    client_checked = bool(getattr(backend, "CLIENT_VERIFIES_SHA256", False))
    sink(ev.Log(_("Verifying files…") if client_checked else _("Verifying checksums…")))
    bad = hc.verify_files(files_dir, selected, cancel, sizes_only=client_checked)
    if bad:
        for path in bad:
            forget = getattr(backend, "forget_file", None)
            if forget is not None:
                forget(files_dir, path)
            else:
                (files_dir / path).unlink(missing_ok=True)
        raise ChecksumMismatch(ngettext("{files} of {repo_id} arrived corrupted (the checksum does not match what "
                                        "{label} lists) and was discarded — start the download again.",
                                        "{files} of {repo_id} arrived corrupted (the checksum does not match what "
                                        "{label} lists) and were discarded — start the download again.",
                                        len(bad)).format(files=", ".join(bad), repo_id=repo_id, label=label))
    _clean_client_files(files_dir)
    return Fetched(listing, selected, files_dir, url)


def provenance(hub: str, got: Fetched, endpoint: str | None) -> dict[str, Any]:
    """Where a download came from, for its ``mlxstudio.json``: hub, id, revision, files, size — and the server
    when it was not the public hub (a mirror or a test server; never credentials)."""
    extra: dict[str, Any] = {"hub": hub, f"{got.listing.repo_type}_id": got.listing.repo_id,
                             "revision": got.listing.revision, "files": [f.path for f in got.files],
                             "size_bytes": got.size}
    if endpoint or os.environ.get("MODELSCOPE_ENDPOINT" if hub == "modelscope" else "HF_ENDPOINT"):
        parts = urlsplit(got.url)
        extra["endpoint"] = f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"
    return extra


def download_model(hub: str, model_id: str, name: str | None = None, token: str | None = None,
                   endpoint: str | None = None, sink: ev.Sink = ev.null_sink, cancel: CancelCheck = None, *,
                   quantize: int | None = None, group_size: int = 64, use_local: bool = True) -> Path:
    """Download ``model_id`` from ``hub`` ("modelscope" | "huggingface") into the library and return its folder.

    ``name``: the library name (default: the part of the id after the slash). ``token``: an access token for gated
    or private models (never stored). ``endpoint``: another server (a mirror, or a test server); default
    ``MODELSCOPE_ENDPOINT`` / ``HF_ENDPOINT`` or the public hub. ``quantize``: 4 or 8 to convert the download to a
    quantized MLX model with ``mlx_lm.convert`` (skipped for a model that is already quantized).

    ``use_local``: a complete copy already on this computer is used instead of downloading — the library's model
    of that name when it came from ``model_id``, else one in the Hugging Face / ModelScope cache (linked into the
    library, :func:`~mlxstudio.core.models.add.add_model_folder`).

    Raises :class:`~mlxstudio.core.errors.Cancelled` when cancelled (the partial download is kept for a resume),
    a :class:`~mlxstudio.core.hub.common.HubError` / ``UserError`` with one sentence saying what to do otherwise.
    """
    hub = normalize_hub(hub)
    model_id = hc.check_model_id(model_id)
    name = hc.library_name(model_id, name)
    target = paths.models_dir() / name
    if use_local:
        local = _already_here(model_id, name, target, sink, cancel, quantize)
        if local is not None:
            sink(ev.Finished(job="download", message=_("{model_id} is in the library as {name} (no download "
                                                       "needed).").format(model_id=model_id, name=local.name),
                             result={"path": str(local), "name": local.name, "hub": hub, "model_id": model_id,
                                     "local": True}))
            return local
    if target.exists():
        raise ModelExists(_("The library already has a model named {name!r} — delete it first or choose another "
                            "name.").format(name=name))
    staging = hc.staging_dir(hub, model_id)
    return run_guarded(hub, model_id, staging, token, sink, cancel,
                       lambda: _download(hub, model_id, name, target, staging, token, endpoint, sink, cancel,
                                         quantize, group_size))


def _already_here(model_id: str, name: str, target: Path, sink: ev.Sink, cancel: CancelCheck,
                  quantize: int | None) -> Path | None:
    """A complete copy of ``model_id`` already on disk, put in the library as ``name`` when needed; else None."""
    from mlxstudio.core.errors import ModelError
    from mlxstudio.core.models.library import read_source

    if target.exists():
        src = read_source(target)
        same = str(src.get("model_id") or src.get("repo_id") or "").lower() == model_id.lower()
        with contextlib.suppress(ModelError):
            if same and (quantize is None or src.get("quantization")):
                check_model_folder(target)
                sink(ev.Log(_("{model_id} is already in the library as {name}.").format(model_id=model_id, name=name)))
                return target
        return None
    from mlxstudio.core.models.discover import find_local_copy

    found = find_local_copy(model_id)
    if found is None:
        return None
    sink(ev.Log(_("{model_id} is already on this computer ({store_label}: {path}) — using it instead "
                  "of downloading.").format(model_id=model_id, store_label=found.store_label, path=found.path)))
    from mlxstudio.core.models.add import add_model_folder

    return add_model_folder(found.path, name=name, repo_id=model_id, quantize=quantize,
                            source=f"{found.store}: {model_id}", sink=sink, cancel=cancel)


def _download(hub: str, model_id: str, name: str, target: Path, staging: Path, token: str | None,
              endpoint: str | None, sink: ev.Sink, cancel: CancelCheck, quantize: int | None,
              group_size: int) -> Path:
    got = fetch_repo(hub, model_id, staging, token, endpoint, sink, cancel, hc.select_files,
                     extra_space=1 / 3 if quantize else 0.0)
    files_dir = got.folder
    check_model_folder(files_dir)
    source = f"{hub}: {model_id}"
    extra = provenance(hub, got, endpoint)
    final = files_dir
    if quantize:
        from mlxstudio.core.models import convert

        q = convert.quantization(files_dir)
        if q is not None:
            sink(ev.Log(_("{model_id} is already quantized ({get}-bit) — kept as it is.").format(
                model_id=model_id, get=q.get('bits'))))
        else:
            sink(ev.Log(_("Converting to {quantize}-bit MLX with mlx_lm.convert…").format(quantize=quantize)))
            for old in (staging / "converted", *staging.glob(".converted.converting-*")):  # a killed attempt's
                shutil.rmtree(old, ignore_errors=True)  # output: convert again from the verified files
            final = convert.convert_model(files_dir, staging / "converted", quantize=quantize, group_size=group_size,
                                          source=source, sink=sink, cancel=cancel)
            extra["quantization"] = f"{quantize}-bit g{group_size} (converted with mlx_lm.convert)"
    write_source(final, source, **extra)
    if target.exists():  # someone else took the name meanwhile
        raise ModelExists(_("The library already has a model named {name!r} — the download is kept in {staging}; "
                            "choose another name and start it again.").format(name=name, staging=staging))
    move_into_place(final, target)
    shutil.rmtree(staging, ignore_errors=True)
    sink(ev.Finished(job="download", message=_("{model_id} is in the library as {name}.").format(
        model_id=model_id, name=name),
                     result={"path": str(target), "name": name, "hub": hub, "model_id": model_id}))
    return target
