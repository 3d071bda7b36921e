"""What both hub downloaders share: the file list of a repo, which files a model needs, progress, errors, staging.

A repository is a model's or a dataset's (``repo_type`` "model" | "dataset": the hubs keep the two apart, so
``owner/name`` may be both); :mod:`mlxstudio.core.hub.datasets` picks a dataset's files.

Qt-free and network-free: :mod:`mlxstudio.core.hub.modelscope` and :mod:`mlxstudio.core.hub.huggingface` talk to
the hubs; :mod:`mlxstudio.core.hub.download` puts the steps together.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import fnmatch
import hashlib
import os
import re
import shutil
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mlxstudio.core import errors, paths
from mlxstudio.core import events as ev
from mlxstudio.core.events import CancelCheck, is_cancelled
from mlxstudio.core.fsutil import human_bytes
from mlxstudio.core.i18n import N_, _
from mlxstudio.core.models.library import TOKENIZER_FILES

HUB_LABELS = {"modelscope": "ModelScope", "huggingface": "Hugging Face"}
_HUB_ALIASES = {"modelscope": "modelscope", "ms": "modelscope", "huggingface": "huggingface", "hf": "huggingface",
                "hugging face": "huggingface", "hugging-face": "huggingface"}

# What a model folder needs (mlx-lm's own download patterns, minus *.py: we never run code from a model repo).
# Only top-level files: sub-folders of a repo hold other formats (onnx/, original/, gguf/…).
MODEL_PATTERNS = ("*.json", "model*.safetensors", "tokenizer.model", "*.tiktoken", "tiktoken.model", "*.txt",
                  "*.jsonl", "*.jinja", "LICENSE*")
DISK_MARGIN = 64 * 1024 * 1024
_MODEL_ID_RE = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")
REPO_TYPES = ("model", "dataset")
_ID_EXAMPLES = {"model": "Qwen/Qwen3-0.6B", "dataset": "tatsu-lab/alpaca"}
_WEB_PREFIXES = {"model": ("https://huggingface.co/", "https://hf.co/", "https://modelscope.cn/models/",
                           "https://www.modelscope.cn/models/"),
                 "dataset": ("https://huggingface.co/datasets/", "https://hf.co/datasets/",
                             "https://modelscope.cn/datasets/", "https://www.modelscope.cn/datasets/")}


# -- errors -------------------------------------------------------------------------------------------------------
class HubError(errors.UserError):
    """A download failed for a reason the user can act on; the message is one sentence saying what to do."""


class NetworkError(HubError):
    """The hub could not be reached, or the connection broke (transient: a retry may help)."""


class ServerError(HubError):
    """The hub answered with a server error (5xx) — transient."""


class RepoNotFound(HubError):
    """No such repository (or revision) on the hub."""


class ModelNotFound(RepoNotFound):
    """No such model (or revision) on the hub."""


class DatasetNotFound(RepoNotFound):
    """No such dataset (or revision) on the hub."""


class AuthRequired(HubError):
    """The hub refused access: a token is missing, wrong, or lacks access (gated / private model)."""


class ChecksumMismatch(HubError):
    """A downloaded file does not match the checksum the hub lists."""


class DiskFull(HubError):
    """Not enough free disk space for the download (checked before starting, or ENOSPC while writing)."""


class ModelExists(HubError):
    """The library already has a model under the chosen name."""


class DatasetExists(HubError):
    """Another dataset (or a folder that is not a download) already has the chosen name."""


class UnsupportedModel(errors.ModelError):
    """The repository holds no weights MLX can read (PyTorch .bin only, GGUF only, an adapter…)."""


class UnsupportedDataset(HubError):
    """The dataset repository holds no data files we read (only archives, a loading script…)."""


class Abort(BaseException):
    """Raised inside the hub clients' progress hooks to stop a download NOW (a cancel).

    A BaseException on purpose: the clients catch ``Exception`` to retry, and must not retry a cancel.
    """


TRANSIENT = (NetworkError, ServerError)


# -- small helpers ------------------------------------------------------------------------------------------------
def normalize_hub(hub: str) -> str:
    """"modelscope" or "huggingface" (also accepts "ms", "hf", "Hugging Face")."""
    key = _HUB_ALIASES.get(str(hub).strip().lower())
    if key is None:
        raise errors.UserError(_("unknown hub {hub!r} — use \"modelscope\" or \"huggingface\"").format(hub=hub))
    return key


def check_repo_id(repo_id: str, repo_type: str = "model") -> str:
    """A repository id is ``owner/name`` (e.g. ``Qwen/Qwen3-0.6B``); returns it stripped, or raises a clear error.

    The address of its page on either hub (``https://huggingface.co/datasets/owner/name`` …) is accepted too.
    """
    rid = str(repo_id).strip().strip("/")
    for prefix in _WEB_PREFIXES[repo_type]:
        if rid.startswith(prefix):
            rid = rid[len(prefix):].split("/tree/")[0].split("/files")[0].split("/viewer")[0].strip("/")
    if not _MODEL_ID_RE.match(rid) or ".." in rid:
        raise errors.UserError(_("{repo_id!r} is not a {repo_type} id — write it as owner/name, e.g. "
                                 "{ID_EXAMPLES}").format(
                                     repo_id=repo_id, repo_type=_(repo_type), ID_EXAMPLES=_ID_EXAMPLES[repo_type]))
    return rid


def check_model_id(model_id: str) -> str:
    """:func:`check_repo_id` for a model."""
    return check_repo_id(model_id, "model")


def library_name(model_id: str, name: str | None, repo_type: str = "model") -> str:
    """The folder name the model (or dataset) gets (``name`` or the part of the id after the slash)."""
    result = (name or model_id.split("/")[-1]).strip()
    if not result or result in (".", "..") or "/" in result or "\\" in result or result.startswith("."):
        raise errors.UserError(_("{result!r} cannot be a {repo_type} name — use letters, digits, '-', '_' or '.'")
                               .format(result=result, repo_type=_(repo_type)))
    return result


def staging_dir(hub: str, repo_id: str, repo_type: str = "model") -> Path:
    """Where a download of ``repo_id`` from ``hub`` is assembled (kept between attempts so it can resume).

    Datasets have their own folder (``downloads/<hub>/datasets/``): a model's folder name always has ``--`` in it.
    """
    folder = paths.downloads_dir() / hub
    if repo_type == "dataset":
        folder = folder / "datasets"
    return folder / repo_id.replace("/", "--")


REPO_TYPES = (N_("model"), N_("dataset"))
"""What a repository holds, as messages say it."""


def not_found(repo_type: str, message: str) -> RepoNotFound:
    """The hub has no such repository: :class:`ModelNotFound` or :class:`DatasetNotFound`."""
    return DatasetNotFound(message) if repo_type == "dataset" else ModelNotFound(message)


def scrub(text: str, secret: str | None) -> str:
    """``text`` with ``secret`` (a token) replaced by ``***``."""
    if secret and len(secret) >= 4 and secret in text:
        return text.replace(secret, "***")
    return text


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
        raise errors.UserError(_("{endpoint!r} is not a valid {hub_label} endpoint — use a URL like https://host").format(
            endpoint=endpoint, hub_label=hub_label))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except socket.gaierror as exc:
        raise NetworkError(_("Cannot find {host} ({hub_label}) — check your internet connection "
                             "or the endpoint setting.").format(host=host, hub_label=hub_label)) from exc
    except OSError as exc:
        raise NetworkError(_("Cannot connect to {hub_label} at {scheme}://{netloc} "
                             "({error}) — check your internet connection or the endpoint setting.").format(
                                 hub_label=hub_label, scheme=parts.scheme, netloc=parts.netloc,
                                 error=exc.strerror or exc)) from exc


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
    repo_id: str
    revision: str
    files: tuple[RemoteFile, ...]
    repo_type: str = "model"


def select_files(listing: Listing) -> list[RemoteFile]:
    """The files a model folder needs (config, weights, tokenizer, templates) — or a clear error before downloading.

    Skips README/.gitattributes, sub-folders (onnx/, original/, gguf/), PyTorch ``.bin``/``.pth`` duplicates and
    code (``*.py``: models are never allowed to run code here).
    """
    top = [f for f in listing.files if "/" not in f.path]
    names = {f.path for f in top}
    chosen = [f for f in top if any(fnmatch.fnmatchcase(f.path, p) for p in MODEL_PATTERNS)]
    where = f"{listing.repo_id} on {HUB_LABELS[listing.hub]}"
    weights = [f for f in chosen if f.path.endswith(".safetensors")]
    if "config.json" not in names:
        if "adapter_config.json" in names:
            raise UnsupportedModel(_("{where} is a LoRA adapter, not a model — download its base model instead").format(
                where=where))
        if any(f.path.endswith(".gguf") for f in listing.files):
            raise UnsupportedModel(_("{where} only has GGUF files — download a .gguf file and use Import GGUF").format(
                where=where))
        raise UnsupportedModel(_("{where} has no config.json — it is not a transformers/MLX model repository").format(
            where=where))
    if not weights:
        if any(f.path.endswith(".safetensors") for f in listing.files):
            raise UnsupportedModel(_("{where} stores its weights in a layout mlx-lm cannot load (no model*.safetensors "
                                     "at the top level) — pick another version of the model").format(where=where))
        if any(f.path.endswith((".bin", ".pth", ".pt")) for f in listing.files):
            raise UnsupportedModel(_("{where} only has PyTorch .bin weights, which MLX cannot read — pick a version "
                                     "with .safetensors weights (e.g. from mlx-community on Hugging Face)").format(
                                         where=where))
        if any(f.path.endswith(".gguf") for f in listing.files):
            raise UnsupportedModel(_("{where} only has GGUF weights — download a .gguf file and use Import GGUF")
                                   .format(where=where))
        raise UnsupportedModel(_("{where} has no weights (.safetensors) — it is not a complete model").format(
            where=where))
    if not names & set(TOKENIZER_FILES) and not any(f.path.endswith(".tiktoken") for f in top):
        raise UnsupportedModel(_("{where} has no tokenizer (tokenizer.json / tokenizer.model) — pick another "
                                 "version").format(where=where))
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
        raise DiskFull(_("Not enough free disk space: the download needs {needed} and "
                         "{folder} has {free} free — free some space and try again.").format(
                             needed=human_bytes(needed + DISK_MARGIN), folder=folder, free=human_bytes(free)))


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
        raise HubError(_("{what} is already being downloaded by another window or process — wait for it to "
                         "finish").format(what=what)) from exc
    return lock


def release_staging_lock(lock: Any, staging: Path) -> None:
    """Undo :func:`acquire_staging_lock`."""
    lock.release()
    with contextlib.suppress(OSError):
        os.unlink(staging.with_name(staging.name + ".lock"))
