"""What both hub downloaders share: the file list of a repo, which files a model needs, progress, errors, staging.

Qt-free and network-free: :mod:`mlxstudio.core.hub_modelscope` and :mod:`mlxstudio.core.hub_hf` talk to the hubs;
:mod:`mlxstudio.core.hub` puts the steps together.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import fnmatch
import hashlib
import json
import os
import re
import shutil
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mlxstudio.core import errors, paths
from mlxstudio.core import events as ev

CancelCheck = Callable[[], bool] | threading.Event | None
"""Something that says whether to stop: a callable returning True, a set ``threading.Event``, or None."""

HUB_LABELS = {"modelscope": "ModelScope", "huggingface": "Hugging Face"}
_HUB_ALIASES = {"modelscope": "modelscope", "ms": "modelscope", "huggingface": "huggingface", "hf": "huggingface",
                "hugging face": "huggingface", "hugging-face": "huggingface"}

# What a model folder needs (mlx-lm's own download patterns, minus *.py: we never run code from a model repo).
# Only top-level files: sub-folders of a repo hold other formats (onnx/, original/, gguf/…).
MODEL_PATTERNS = ("*.json", "model*.safetensors", "tokenizer.model", "*.tiktoken", "tiktoken.model", "*.txt",
                  "*.jsonl", "*.jinja", "LICENSE*")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "tiktoken.model")
DISK_MARGIN = 64 * 1024 * 1024
_MODEL_ID_RE = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")


# -- errors -------------------------------------------------------------------------------------------------------
class HubError(errors.UserError):
    """A download failed for a reason the user can act on; the message is one sentence saying what to do."""


class NetworkError(HubError):
    """The hub could not be reached, or the connection broke (transient: a retry may help)."""


class ServerError(HubError):
    """The hub answered with a server error (5xx) — transient."""


class ModelNotFound(HubError):
    """No such model (or revision) on the hub."""


class AuthRequired(HubError):
    """The hub refused access: a token is missing, wrong, or lacks access (gated / private model)."""


class ChecksumMismatch(HubError):
    """A downloaded file does not match the checksum the hub lists."""


class DiskFull(HubError):
    """Not enough free disk space for the download (checked before starting, or ENOSPC while writing)."""


class ModelExists(HubError):
    """The library already has a model under the chosen name."""


class UnsupportedModel(errors.ModelError):
    """The repository holds no weights MLX can read (PyTorch .bin only, GGUF only, an adapter…)."""


class Abort(BaseException):
    """Raised inside the hub clients' progress hooks to stop a download NOW (a cancel).

    A BaseException on purpose: the clients catch ``Exception`` to retry, and must not retry a cancel.
    """


TRANSIENT = (NetworkError, ServerError)


# -- small helpers ------------------------------------------------------------------------------------------------
def is_cancelled(cancel: CancelCheck) -> bool:
    """True when ``cancel`` (a callable, a threading.Event or None) asks to stop."""
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


def normalize_hub(hub: str) -> str:
    """"modelscope" or "huggingface" (also accepts "ms", "hf", "Hugging Face")."""
    key = _HUB_ALIASES.get(str(hub).strip().lower())
    if key is None:
        raise errors.UserError(f"unknown hub {hub!r} — use \"modelscope\" or \"huggingface\"")
    return key


def check_model_id(model_id: str) -> str:
    """A model id is ``owner/name`` (e.g. ``Qwen/Qwen3-0.6B``); returns it stripped, or raises a clear error."""
    mid = str(model_id).strip().strip("/")
    for prefix in ("https://huggingface.co/", "https://hf.co/", "https://modelscope.cn/models/",
                   "https://www.modelscope.cn/models/"):
        if mid.startswith(prefix):
            mid = mid[len(prefix):].split("/tree/")[0].split("/files")[0].strip("/")
    if not _MODEL_ID_RE.match(mid) or ".." in mid:
        raise errors.UserError(f"{model_id!r} is not a model id — write it as owner/name, e.g. Qwen/Qwen3-0.6B")
    return mid


def library_name(model_id: str, name: str | None) -> str:
    """The folder name the model gets in the library (``name`` or the part after the slash)."""
    result = (name or model_id.split("/")[-1]).strip()
    if not result or result in (".", "..") or "/" in result or "\\" in result or result.startswith("."):
        raise errors.UserError(f"{result!r} cannot be a model name — use letters, digits, '-', '_' or '.'")
    return result


def staging_dir(hub: str, model_id: str) -> Path:
    """Where a download of ``model_id`` from ``hub`` is assembled (kept between attempts so it can resume)."""
    return paths.downloads_dir() / hub / model_id.replace("/", "--")


def scrub(text: str, secret: str | None) -> str:
    """``text`` with ``secret`` (a token) replaced by ``***``."""
    if secret and len(secret) >= 4 and secret in text:
        return text.replace(secret, "***")
    return text


def human_bytes(n: float) -> str:
    """1500 → "1.5 KB": decimal units, as Finder and the rest of the app show sizes (the library said 102 MB and
    the download of the same model 97.2 MB)."""
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def free_disk_bytes(folder: Path) -> int:
    """Free bytes on the filesystem holding ``folder``."""
    return shutil.disk_usage(folder).free


def is_disk_full(exc: BaseException) -> bool:
    """True when ``exc`` (or an exception it wraps) is a 'no space left on device' error."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
            return True
        e = e.__cause__ or e.__context__
    return False


def sleep_cancellable(seconds: float, cancel: CancelCheck) -> None:
    """Sleep (e.g. between retries), raising :class:`Abort` as soon as ``cancel`` is set."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if is_cancelled(cancel):
            raise Abort()
        time.sleep(0.05)


def preflight(endpoint: str, hub_label: str, timeout: float = 6.0) -> None:
    """Fail fast with a clear message when the hub's host cannot be reached at all (no network, wrong endpoint).

    The clients would retry for minutes on a dead link; one TCP connect tells the user in seconds.
    """
    parts = urlsplit(endpoint)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise errors.UserError(f"{endpoint!r} is not a valid {hub_label} endpoint — use a URL like https://host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except socket.gaierror as exc:
        raise NetworkError(f"Cannot find {host} ({hub_label}) — check your internet connection "
                           f"or the endpoint setting.") from exc
    except OSError as exc:
        raise NetworkError(f"Cannot connect to {hub_label} at {parts.scheme}://{parts.netloc} "
                           f"({exc.strerror or exc}) — check your internet connection or the endpoint setting.") \
            from exc


# -- the file list ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RemoteFile:
    """One file of a repository as the hub lists it."""

    path: str
    size: int
    sha256: str | None = None
    """SHA-256 of the content, when the hub lists it (ModelScope: every file; Hugging Face: LFS files)."""
    git_sha1: str | None = None
    """Git blob id (Hugging Face lists it for every file): sha1 of ``b"blob <size>\\0" + content``."""


@dataclass(frozen=True)
class Listing:
    """A repository's files at one revision."""

    hub: str
    model_id: str
    revision: str
    files: tuple[RemoteFile, ...]


def select_files(listing: Listing) -> list[RemoteFile]:
    """The files a model folder needs (config, weights, tokenizer, templates) — or a clear error before downloading.

    Skips README/.gitattributes, sub-folders (onnx/, original/, gguf/), PyTorch ``.bin``/``.pth`` duplicates and
    code (``*.py``: models are never allowed to run code here).
    """
    top = [f for f in listing.files if "/" not in f.path]
    names = {f.path for f in top}
    chosen = [f for f in top if any(fnmatch.fnmatchcase(f.path, p) for p in MODEL_PATTERNS)]
    where = f"{listing.model_id} on {HUB_LABELS[listing.hub]}"
    weights = [f for f in chosen if f.path.endswith(".safetensors")]
    if "config.json" not in names:
        if "adapter_config.json" in names:
            raise UnsupportedModel(f"{where} is a LoRA adapter, not a model — download its base model instead")
        if any(f.path.endswith(".gguf") for f in listing.files):
            raise UnsupportedModel(f"{where} only has GGUF files — download a .gguf file and use Import GGUF")
        raise UnsupportedModel(f"{where} has no config.json — it is not a transformers/MLX model repository")
    if not weights:
        if any(f.path.endswith(".safetensors") for f in listing.files):
            raise UnsupportedModel(f"{where} stores its weights in a layout mlx-lm cannot load (no model*.safetensors "
                                   "at the top level) — pick another version of the model")
        if any(f.path.endswith((".bin", ".pth", ".pt")) for f in listing.files):
            raise UnsupportedModel(f"{where} only has PyTorch .bin weights, which MLX cannot read — pick a version "
                                   "with .safetensors weights (e.g. from mlx-community on Hugging Face)")
        if any(f.path.endswith(".gguf") for f in listing.files):
            raise UnsupportedModel(f"{where} only has GGUF weights — download a .gguf file and use Import GGUF")
        raise UnsupportedModel(f"{where} has no weights (.safetensors) — it is not a complete model")
    if not names & set(TOKENIZER_FILES) and not any(f.path.endswith(".tiktoken") for f in top):
        raise UnsupportedModel(f"{where} has no tokenizer (tokenizer.json / tokenizer.model) — pick another version")
    return sorted(chosen, key=lambda f: (f.path.endswith(".safetensors"), f.path))


def already_complete(folder: Path, f: RemoteFile) -> bool:
    """True when ``folder/f.path`` exists with the listed size (a finished file from an earlier attempt)."""
    p = folder / f.path
    try:
        return p.is_file() and p.stat().st_size == f.size
    except OSError:
        return False


def partial_bytes(folder: Path, f: RemoteFile) -> int:
    """Bytes of ``f`` already in ``folder``: the finished file, or ModelScope's ``<file>.incomplete``."""
    if already_complete(folder, f):
        return f.size
    inc = folder / (f.path + ".incomplete")
    with contextlib.suppress(OSError):
        if inc.is_file():
            return min(inc.stat().st_size, f.size)
    return 0


def check_disk_space(needed: int, folder: Path) -> None:
    """Raise :class:`DiskFull` unless ``folder``'s filesystem has ``needed`` bytes (+ a margin) free."""
    free = free_disk_bytes(folder)
    if needed + DISK_MARGIN > free:
        raise DiskFull(f"Not enough free disk space: the download needs {human_bytes(needed + DISK_MARGIN)} and "
                       f"{folder} has {human_bytes(free)} free — free some space and try again.")


# -- checksums ----------------------------------------------------------------------------------------------------
def file_digests(path: Path, cancel: CancelCheck = None) -> tuple[str, str]:
    """(sha256, git blob sha1) of a file, read once."""
    size = path.stat().st_size
    sha256 = hashlib.sha256()
    sha1 = hashlib.sha1(b"blob %d\0" % size)
    with open(path, "rb") as fh:
        while block := fh.read(4 * 1024 * 1024):
            if is_cancelled(cancel):
                raise Abort()
            sha256.update(block)
            sha1.update(block)
    return sha256.hexdigest(), sha1.hexdigest()


def verify_files(folder: Path, files: list[RemoteFile], cancel: CancelCheck = None,
                 sizes_only: bool = False) -> list[str]:
    """Check every file's size (and checksum, unless ``sizes_only``) against the listing; returns the bad paths."""
    bad = []
    for f in files:
        p = folder / f.path
        if not p.is_file() or p.stat().st_size != f.size:
            bad.append(f.path)
            continue
        if sizes_only or (f.sha256 is None and f.git_sha1 is None):
            continue
        sha256, sha1 = file_digests(p, cancel)
        if (f.sha256 and sha256 != f.sha256.lower()) or (not f.sha256 and f.git_sha1 and sha1 != f.git_sha1):
            bad.append(f.path)
    return bad


# -- model folder checks ------------------------------------------------------------------------------------------
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

    Then, when the library module provides it, ``models.validate_model_dir`` runs its own checks too.
    """
    cfg_path = folder / "config.json"
    try:
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise errors.ModelError(f"{cfg_path}: missing — the download is incomplete") from exc
    except (OSError, ValueError) as exc:
        raise errors.ModelError(f"{cfg_path}: not valid JSON ({exc})") from exc
    if not isinstance(config, dict) or "model_type" not in config:
        raise errors.ModelError(f"{cfg_path}: no \"model_type\" — not a transformers/MLX model config")
    weights = sorted(folder.glob("model*.safetensors"))
    if not weights:
        raise errors.ModelError(f"{folder}: no model*.safetensors weights — the download is incomplete")
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        try:
            shards = set(json.loads(index.read_text(encoding="utf-8")).get("weight_map", {}).values())
        except (OSError, ValueError) as exc:
            raise errors.ModelError(f"{index}: not valid JSON ({exc})") from exc
        missing = sorted(s for s in shards if not (folder / s).is_file())
        if missing:
            raise errors.ModelError(f"{folder}: weight files {', '.join(missing)} are missing — the download is "
                                    "incomplete")
    for w in weights:
        problem = _safetensors_ok(w)
        if problem:
            raise errors.ModelError(f"{w}: {problem}")
    if not any((folder / t).is_file() for t in TOKENIZER_FILES) and not list(folder.glob("*.tiktoken")):
        raise errors.ModelError(f"{folder}: no tokenizer (tokenizer.json / tokenizer.model) — the model cannot be "
                                "used without one")
    try:
        from mlxstudio.core import models
    except ImportError:
        return
    validate = getattr(models, "validate_model_dir", None)
    if validate is not None:
        validate(folder)


def write_source(folder: Path, source: str, **extra: Any) -> None:
    """Record where a model came from (``mlxstudio.json``), through the library module when it provides it."""
    try:
        from mlxstudio.core import models

        writer = getattr(models, "write_source", None)
    except ImportError:
        writer = None
    if writer is not None:
        writer(folder, source, **extra)
        return
    from mlxstudio.core.fsutil import atomic_write_json

    atomic_write_json(folder / "mlxstudio.json", {"source": source, **extra})


# -- progress -----------------------------------------------------------------------------------------------------
class ProgressTracker:
    """Per-file and total bytes of a download, turned into :class:`~mlxstudio.core.events.DownloadProgress` events.

    Thread-safe (the clients download several files at once). Events go out at most ~10 times a second, and when
    a file completes. Every update checks ``cancel`` and raises :class:`Abort` when it is set, which is how a cancel
    stops the clients between two network reads.
    """

    def __init__(self, sink: ev.Sink, files: list[RemoteFile], cancel: CancelCheck = None,
                 initial: dict[str, int] | None = None, interval: float = 0.1) -> None:
        self._sink = sink
        self._cancel = cancel
        self._interval = interval
        self.sizes = {f.path: f.size for f in files}
        self.total = sum(self.sizes.values())
        self.file_done: dict[str, int] = {p: min((initial or {}).get(p, 0), s) for p, s in self.sizes.items()}
        self.start_bytes = sum(self.file_done.values())
        self.network_bytes = 0
        self.current = next(iter(self.sizes), "")
        self._lock = threading.RLock()
        self._last_emit = 0.0
        self._samples: collections.deque[tuple[float, int]] = collections.deque()
        self._started = time.monotonic()

    @property
    def done(self) -> int:
        return sum(self.file_done.values())

    def check_cancel(self) -> None:
        """Raise :class:`Abort` when the user asked to cancel."""
        if is_cancelled(self._cancel):
            raise Abort()

    def set_file(self, path: str, done: int) -> None:
        """File ``path`` now has ``done`` bytes (absolute: restarts and resumes set it)."""
        self.check_cancel()
        with self._lock:
            if path not in self.sizes:
                return
            old = self.file_done[path]
            new = max(0, min(int(done), self.sizes[path]))
            self.file_done[path] = new
            if new > old:
                self.network_bytes += new - old
            self.current = path
            self._maybe_emit(force=new == self.sizes[path] and new != old)

    def add(self, path: str, n: int) -> None:
        """``n`` more bytes of ``path`` arrived."""
        with self._lock:
            self.set_file(path, self.file_done.get(path, 0) + n)

    def _speed(self, now: float) -> float:
        self._samples.append((now, self.network_bytes))
        while len(self._samples) > 2 and now - self._samples[0][0] > 5.0:
            self._samples.popleft()
        t0, b0 = self._samples[0]
        if now - t0 < 0.2:
            elapsed = now - self._started
            return self.network_bytes / elapsed if elapsed > 0.2 else 0.0
        return (self.network_bytes - b0) / (now - t0)

    def _maybe_emit(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_emit < self._interval:
            return
        self._last_emit = now
        self.emit(now)

    def emit(self, now: float | None = None) -> None:
        """Send a DownloadProgress event now."""
        with self._lock:
            now = time.monotonic() if now is None else now
            speed = self._speed(now)
            done = self.done
            eta = (self.total - done) / speed if speed > 0 else None
            path = self.current
            self._sink(ev.DownloadProgress(file=path, file_done=self.file_done.get(path, 0),
                                           file_total=self.sizes.get(path, 0), done=done, total=self.total,
                                           speed=round(speed, 1), eta=None if eta is None else round(eta, 1)))


def acquire_staging_lock(staging: Path, what: str) -> Any:
    """Lock ``staging`` (a lock file next to it) so two windows/processes never download the same model at once.

    The lock is not tied to the thread that took it: :func:`release_staging_lock` may run on another thread (a
    cancelled download whose network read is still blocked hands it to the thread that waits for that read).
    """
    from filelock import FileLock, Timeout

    staging.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(staging.with_name(staging.name + ".lock")), timeout=0, thread_local=False)
    try:
        lock.acquire()
    except Timeout as exc:
        raise HubError(f"{what} is already being downloaded by another window or process — wait for it to finish") \
            from exc
    return lock


def release_staging_lock(lock: Any, staging: Path) -> None:
    """Undo :func:`acquire_staging_lock`."""
    lock.release()
    with contextlib.suppress(OSError):
        os.unlink(staging.with_name(staging.name + ".lock"))
