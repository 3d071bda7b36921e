"""Downloads from ModelScope with the real ``modelscope`` client (``snapshot_download``, which runs ``modelscope_hub``).

How the client behaves (modelscope 1.40 / modelscope-hub 0.5, read from its sources):
- it lists ``/api/v1/models/<id>/repo/files`` and fetches each file from ``/api/v1/models/<id>/repo?FilePath=``
  (datasets: ``/api/v1/datasets/<id>/repo/tree``, paged and with folders in it, and ``/api/v1/datasets/<id>/repo``);
- a file is written to ``<local_dir>/<file>.incomplete`` and resumed with ``Range`` on the next attempt, then
  checked against the SHA-256 of the listing (three tries) and renamed; finished files are checked (size + SHA-256)
  and skipped on the next run. So a cancelled or killed download resumes where it stopped, even mid-file;
- ``progress_callbacks`` are classes instantiated per file as ``cls(filename, file_size)``; ``update(n)`` is called
  for every chunk read from the socket (≤ 1 MB, usually far less). Raising from ``update`` stops that file; the
  client then cancels the other files (:class:`~mlxstudio.core.hub.common.Abort` is a BaseException so the client's
  retry loop does not swallow it).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from mlxstudio.core.hub import common as hc
from mlxstudio.core.i18n import _

HUB = "modelscope"
LABEL = "ModelScope"
CLIENT_VERIFIES_SHA256 = True
"""The client checks every file (new or kept from an earlier run) against the listing's SHA-256 itself."""


def _quiet_client_logs() -> None:
    # The client logs every file at INFO on stderr; keep its warnings and errors only.
    logging.getLogger("modelscope_hub").setLevel(logging.WARNING)


def resolve_endpoint(endpoint: str | None, model_id: str, token: str | None, repo_type: str = "model") -> str:
    """The endpoint to use: the argument, ``MODELSCOPE_ENDPOINT``, or the public site the client picks."""
    if endpoint:
        return endpoint.rstrip("/")
    env = os.environ.get("MODELSCOPE_ENDPOINT", "").strip()
    if env:
        return env.rstrip("/")
    from modelscope_hub import HubApi
    from modelscope_hub.constants import DEFAULT_ENDPOINT

    hc.preflight(DEFAULT_ENDPOINT, LABEL)  # no network: say so now, not after the client's probes time out
    try:
        return str(HubApi(token=token).resolve_endpoint_for_read(model_id, repo_type=repo_type)).rstrip("/")
    except Exception:  # no network yet: the preflight check says so clearly
        return DEFAULT_ENDPOINT


def list_files(model_id: str, endpoint: str, token: str | None, repo_type: str = "model") -> hc.Listing:
    """The repository's files (path, size, SHA-256) on the default branch."""
    from modelscope_hub import HubApi

    _quiet_client_logs()
    try:
        infos = HubApi(endpoint=endpoint, token=token).list_repo_files(model_id, repo_type, revision="master")
    except Exception as exc:
        raise map_error(exc, model_id, token, repo_type) from None
    files = tuple(hc.RemoteFile(path=i.path, size=int(i.size or 0), sha256=(i.sha256 or None))
                  for i in infos if (getattr(i, "type", "blob") or "blob") != "tree")
    return hc.Listing(HUB, model_id, "master", files, repo_type)


def fetch(listing: hc.Listing, selected: list[hc.RemoteFile], files_dir: Path, cache_dir: Path,
          tracker: hc.ProgressTracker, token: str | None, endpoint: str) -> None:
    """Download ``selected`` into ``files_dir`` (resuming what an earlier attempt left there)."""
    from modelscope.hub.callback import ProgressCallback
    from modelscope.hub.snapshot_download import snapshot_download

    _quiet_client_logs()

    class _Progress(ProgressCallback):  # one instance per file attempt
        def __init__(self, filename: str, file_size: int) -> None:
            super().__init__(filename, file_size)
            self.n = 0

        def update(self, size: int) -> None:
            self.n += size
            tracker.set_file(self.filename, self.n)

        def end(self) -> None:
            tracker.check_cancel()

    try:
        snapshot_download(repo_id=listing.repo_id, repo_type=listing.repo_type, revision=listing.revision,
                          local_dir=str(files_dir), cache_dir=str(cache_dir), allow_patterns=[f.path for f in selected],
                          progress_callbacks=[_Progress], token=token, endpoint=endpoint, max_workers=4)
    except hc.Abort:
        raise
    except Exception as exc:
        raise map_error(exc, listing.repo_id, token, listing.repo_type) from None


def _client_error(exc: BaseException) -> BaseException:
    """The client's own exception behind ``requests.HTTPError`` wrappers (the compat layer wraps 404/401/403)."""
    import requests

    if isinstance(exc, requests.HTTPError) and exc.__cause__ is not None:
        return exc.__cause__
    return exc


def map_error(exc: BaseException, model_id: str, token: str | None, repo_type: str = "model") -> BaseException:
    """One clear :class:`~mlxstudio.core.hub.common.HubError` for a client exception (never containing the token)."""
    from modelscope_hub import errors as mse

    exc = _client_error(exc)
    if isinstance(exc, hc.HubError | hc.Abort):
        return exc
    if hc.is_disk_full(exc):
        return hc.DiskFull(_("The disk is full — free some space, then start the download again (it resumes)."))
    if isinstance(exc, mse.FileDownloadError):
        failures: dict[str, Any] = getattr(exc, "failed_files", None) or {}
        mapped = [map_error(e, model_id, token, repo_type) for e in failures.values()]
        for kind in (hc.DiskFull, hc.ChecksumMismatch, hc.AuthRequired, hc.RepoNotFound, hc.ServerError):
            for m in mapped:
                if isinstance(m, kind):
                    return m
        names = ", ".join(sorted(failures)) or "some files"
        return hc.NetworkError(_("Downloading {names} from ModelScope failed ({scrub}) — "
                                 "check your connection and start the download again (it resumes).").format(
                                     names=names, scrub=hc.scrub(str(exc), token)))
    if isinstance(exc, mse.FileIntegrityError):
        return hc.ChecksumMismatch(_("A file of {model_id} arrived corrupted (its checksum does not match what "
                                     "ModelScope lists) and was discarded — start the download again.").format(
                                         model_id=model_id))
    if isinstance(exc, mse.NotExistError):
        return hc.not_found(repo_type, _("{model_id} was not found on ModelScope — check the {repo_type} id "
                                         "(owner/name), or try the Hugging Face hub.").format(
                                             model_id=model_id, repo_type=_(repo_type)))
    if isinstance(exc, mse.AuthenticationError | mse.PermissionDeniedError):
        return hc.AuthRequired(_("ModelScope refused access to {model_id} — it may be private or need an access "
                                 "token; set one (MODELSCOPE_API_TOKEN) and try again.").format(model_id=model_id))
    if isinstance(exc, mse.ServerError | mse.RateLimitError):
        status = getattr(exc, "status_code", None)
        return hc.ServerError(_("ModelScope had a server problem{value} — try again "
                                "in a moment (the download resumes).").format(
                                    value=f' (HTTP {status})' if status else ''))
    if isinstance(exc, mse.NetworkError | ConnectionError | TimeoutError):
        return hc.NetworkError(_("The connection to ModelScope failed — check your internet connection and start the "
                                 "download again (it resumes)."))
    return hc.HubError(_("Downloading {model_id} from ModelScope failed: {name}: "
                         "{scrub}").format(
                             model_id=model_id, name=type(exc).__name__, scrub=hc.scrub(str(exc), token)[:200]))
