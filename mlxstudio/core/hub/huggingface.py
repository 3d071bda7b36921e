"""Downloads from Hugging Face with the real ``huggingface_hub`` client (``snapshot_download``).

How the client behaves (huggingface_hub 2.x, read from its sources):
- ``HF_ENDPOINT`` is read once at import, so the endpoint is always passed explicitly (``endpoint=``);
- a dataset is the same calls under ``/api/datasets/`` and ``/datasets/<id>/resolve/`` (``repo_type="dataset"``);
- with ``local_dir`` it keeps its bookkeeping in ``<local_dir>/.cache/huggingface/`` (removed before the model moves
  to the library). A finished file is kept and skipped on the next run; a half-downloaded file is written to a
  process-unique temp file that is deleted when the download stops, so after a cancel or a kill the files that
  were complete are kept and the interrupted one starts again from its beginning. Within one run, a dropped
  connection is resumed with ``Range`` (five tries);
- it checks sizes, not checksums: we verify every file against the listing's SHA-256 (LFS files) or git blob id;
- its ``tqdm_class`` gets the bytes of all files in 10 MB steps and no file names. For per-file progress and a cancel
  that acts between two socket reads, we add event hooks to its HTTP client through the documented
  ``set_client_factory`` (the same client, plus hooks that watch the bodies of file downloads we started). The
  ``tqdm_class`` we pass keeps its bars off the terminal and is one more cancel check.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from mlxstudio.core.hub import common as hc
from mlxstudio.core.i18n import _

HUB = "huggingface"
LABEL = "Hugging Face"
DEFAULT_ENDPOINT = "https://huggingface.co"

_HEADER = "X-MLXStudio-Download"
_EXT_ID = "mlxstudio_download"
_EXT_FILE = "mlxstudio_file"
_ACTIVE: dict[str, _Watch] = {}
_install_lock = threading.Lock()
_installed = False


def resolve_endpoint(endpoint: str | None) -> str:
    """The argument, else ``HF_ENDPOINT`` as the client read it, else huggingface.co."""
    if endpoint:
        return endpoint.rstrip("/")
    from huggingface_hub import constants

    return (constants.ENDPOINT or DEFAULT_ENDPOINT).rstrip("/")


# -- watching the client's HTTP traffic ---------------------------------------------------------------------------
class _Watch:
    """The download a request belongs to: its progress tracker and the URL prefix of its files."""

    def __init__(self, tracker: hc.ProgressTracker, model_id: str) -> None:
        self.id = uuid.uuid4().hex
        self.tracker = tracker
        self.marker = f"/{model_id}/resolve/"


def _request_hook(request: Any) -> None:
    wid = request.headers.get(_HEADER)
    if wid is not None:
        del request.headers[_HEADER]  # only for us: never sent to the hub
        request.extensions[_EXT_ID] = wid  # (the dict is shared with the requests of redirects)
    watch = _ACTIVE.get(request.extensions.get(_EXT_ID, ""))
    if watch is None:
        return
    watch.tracker.check_cancel()
    path = unquote(request.url.path)
    if request.method == "GET" and watch.marker in path and _EXT_FILE not in request.extensions:
        # /{repo}/resolve/{revision}/{file}
        request.extensions[_EXT_FILE] = path.split(watch.marker, 1)[1].split("/", 1)[-1]


def _response_hook(response: Any) -> None:
    ext = response.request.extensions
    watch = _ACTIVE.get(ext.get(_EXT_ID, ""))
    name = ext.get(_EXT_FILE)
    if watch is None or name is None or response.status_code not in (200, 206):
        return
    import httpx2

    start = 0
    if response.status_code == 206:
        rng = response.headers.get("Content-Range", "")  # bytes START-END/TOTAL
        try:
            start = int(rng.split()[1].split("-")[0])
        except (IndexError, ValueError):
            start = 0
    tracker = watch.tracker
    tracker.set_file(name, start)

    inner = response.stream

    class _Watched(httpx2.SyncByteStream):
        def __iter__(self) -> Any:
            for chunk in inner:
                tracker.add(name, len(chunk))  # checks the cancel flag too
                yield chunk

        def close(self) -> None:
            inner.close()

    response.stream = _Watched()


def _client_factory() -> Any:
    from huggingface_hub.utils._http import default_client_factory

    client = default_client_factory()
    hooks = client.event_hooks
    client.event_hooks = {"request": [*hooks.get("request", []), _request_hook],
                          "response": [*hooks.get("response", []), _response_hook]}
    return client


def _install_hooks() -> None:
    global _installed
    with _install_lock:
        if not _installed:
            import os

            import huggingface_hub
            from huggingface_hub import constants

            # No telemetry: with it on, the client's User-Agent code fetches an "agent harnesses" list from
            # huggingface.co (whatever endpoint the user chose) and caches it in ~/.cache/huggingface.
            constants.HF_HUB_DISABLE_TELEMETRY = True
            os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")  # for child processes
            huggingface_hub.set_client_factory(_client_factory)
            _installed = True


class _QuietBar:
    """A ``tqdm_class`` for ``snapshot_download``: shows nothing, counts bytes, and is one more cancel check."""

    tracker: hc.ProgressTracker | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.n = kwargs.get("initial") or 0
        self.total = kwargs.get("total")
        self.desc = kwargs.get("desc", "")
        self.format_dict: dict[str, Any] = {"rate": None}

    def update(self, n: float | None = 1) -> None:
        self.n += n or 0
        if self.tracker is not None:
            self.tracker.check_cancel()

    def refresh(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass

    def set_description(self, *args: Any, **kwargs: Any) -> None:
        pass

    set_description_str = set_description
    set_postfix_str = set_description

    def __enter__(self) -> _QuietBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


# -- listing and fetching -----------------------------------------------------------------------------------------
def list_files(model_id: str, endpoint: str, token: str | None, repo_type: str = "model") -> hc.Listing:
    """The repository's files (path, size, SHA-256 for LFS files, git blob id) at the head of ``main``."""
    from huggingface_hub import HfApi

    _install_hooks()
    try:
        info = HfApi(endpoint=endpoint, token=token).repo_info(model_id, repo_type=repo_type, files_metadata=True)
    except Exception as exc:
        raise map_error(exc, model_id, token, repo_type) from None
    files = []
    for s in getattr(info, "siblings", None) or []:  # (models and datasets list them)
        lfs = getattr(s, "lfs", None)
        files.append(hc.RemoteFile(path=s.rfilename, size=int(s.size or 0),
                                   sha256=getattr(lfs, "sha256", None) if lfs is not None else None,
                                   git_sha1=getattr(s, "blob_id", None)))
    return hc.Listing(HUB, model_id, str(info.sha or "main"), tuple(files), repo_type)


def fetch(listing: hc.Listing, selected: list[hc.RemoteFile], files_dir: Path, cache_dir: Path,
          tracker: hc.ProgressTracker, token: str | None, endpoint: str) -> None:
    """Download ``selected`` into ``files_dir`` at the listed commit (files finished earlier are kept)."""
    from huggingface_hub import snapshot_download

    _install_hooks()
    watch = _Watch(tracker, listing.repo_id)
    bar = type("_Bar", (_QuietBar,), {"tracker": tracker})
    _ACTIVE[watch.id] = watch
    try:
        snapshot_download(listing.repo_id, repo_type=listing.repo_type, revision=listing.revision,
                          local_dir=str(files_dir), cache_dir=str(cache_dir), allow_patterns=[f.path for f in selected],
                          token=token, endpoint=endpoint, tqdm_class=bar, headers={_HEADER: watch.id}, max_workers=4)
    except hc.Abort:
        raise
    except Exception as exc:
        raise map_error(exc, listing.repo_id, token, listing.repo_type) from None
    finally:
        _ACTIVE.pop(watch.id, None)


def forget_file(files_dir: Path, path: str) -> None:
    """Delete a (bad) file and the client's record of it, so the next run downloads it again."""
    for p in (files_dir / path, files_dir / ".cache" / "huggingface" / "download" / (path + ".metadata")):
        p.unlink(missing_ok=True)


def _status(exc: BaseException) -> int | None:
    resp = getattr(exc, "response", None)
    return getattr(resp, "status_code", None)


def map_error(exc: BaseException, model_id: str, token: str | None, repo_type: str = "model") -> BaseException:
    """One clear :class:`~mlxstudio.core.hub.common.HubError` for a client exception (never containing the token)."""
    import httpx2
    from huggingface_hub import errors as hfe

    if isinstance(exc, hc.HubError | hc.Abort):
        return exc
    if hc.is_disk_full(exc):
        return hc.DiskFull(_("The disk is full — free some space, then start the download again."))
    cause = exc.__cause__
    if isinstance(exc, hfe.LocalEntryNotFoundError) and cause is not None \
            and not isinstance(cause, hfe.OfflineModeIsEnabled):
        return map_error(cause, model_id, token, repo_type)
    token_hint = _("add a Hugging Face token in Preferences (or check the one there)")
    if isinstance(exc, hfe.OfflineModeIsEnabled) or isinstance(cause, hfe.OfflineModeIsEnabled):
        return hc.NetworkError(_("Hugging Face downloads are switched off (HF_HUB_OFFLINE is set) — unset it and try "
                                 "again."))
    if isinstance(exc, hfe.GatedRepoError):
        page = f"huggingface.co/{'datasets/' if repo_type == 'dataset' else ''}{model_id}"
        return hc.AuthRequired(_("{model_id} is gated on Hugging Face: accept its license on {page} and {token_hint}.")
            .format(model_id=model_id, page=page, token_hint=token_hint))
    if isinstance(exc, hfe.RepositoryNotFoundError):
        if _status(exc) == 401 and not token:
            return hc.not_found(repo_type, _("{model_id} was not found on Hugging Face — check the {repo_type} id "
                                             "(owner/name); if it is private, {token_hint}.").format(
                                                 model_id=model_id, repo_type=_(repo_type), token_hint=token_hint))
        if _status(exc) == 401:
            return hc.AuthRequired(_("Hugging Face refused the token for {model_id} — check the {repo_type} id, and "
                                     "{token_hint}.").format(
                                         model_id=model_id, repo_type=_(repo_type), token_hint=token_hint))
        return hc.not_found(repo_type, _("{model_id} was not found on Hugging Face — check the {repo_type} id "
                                         "(owner/name).").format(model_id=model_id, repo_type=_(repo_type)))
    if isinstance(exc, hfe.RevisionNotFoundError | hfe.RemoteEntryNotFoundError):
        return hc.not_found(repo_type, _("{model_id} changed on Hugging Face while downloading ({kind}) — start "
                                         "the download again.").format(model_id=model_id, kind=type(exc).__name__))
    status = _status(exc)
    if isinstance(exc, hfe.HfHubHTTPError) and status in (401, 403):
        return hc.AuthRequired(_("Hugging Face refused access to {model_id} (HTTP {status}) — {token_hint}.").format(
            model_id=model_id, status=status, token_hint=token_hint))
    if isinstance(exc, hfe.HfHubHTTPError) and status is not None and status >= 500:
        return hc.ServerError(_("Hugging Face had a server problem (HTTP {status}) — try again in a moment.").format(
            status=status))
    if isinstance(exc, httpx2.TimeoutException | httpx2.NetworkError | httpx2.RemoteProtocolError | ConnectionError
                  | TimeoutError):
        return hc.NetworkError(_("The connection to Hugging Face failed — check your internet connection and start "
                                 "the download again (finished files are kept)."))
    if isinstance(exc, OSError) and "Consistency check failed" in str(exc):
        return hc.NetworkError(_("A file from Hugging Face arrived incomplete — start the download again."))
    return hc.HubError(_("Downloading {model_id} from Hugging Face failed: {name}: "
                         "{scrub}").format(
                             model_id=model_id, name=type(exc).__name__, scrub=hc.scrub(str(exc), token)[:200]))

