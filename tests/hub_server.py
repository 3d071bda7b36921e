"""A local fake of the ModelScope and Hugging Face hubs, for offline download tests.

:class:`FakeHub` is a ``ThreadingHTTPServer`` on 127.0.0.1 (free port) that answers the calls the REAL clients make —
``modelscope`` 1.40 / ``modelscope_hub`` and ``huggingface_hub`` 2.x — read from their sources in site-packages:

ModelScope (``modelscope_hub/_legacy_api.py``, ``_download.py``)
  - ``GET /api/v1/models/{owner}/{name}/repo/files?Revision=master&Recursive=True`` → ``{"Code": 200, "Data":
    {"Files": [{"Name", "Path", "Type", "Size", "Sha256", "Revision", "IsLFS"}]}}``
  - ``GET /api/v1/models/{owner}/{name}/repo?Revision=..&FilePath=..`` → the file (``Range`` → 206 + Content-Range)
  - ``GET /api/v1/models/{owner}/{name}/revisions`` and ``GET /api/v1/models/{owner}/{name}`` (info)
  - ``GET /api/v1/repos/internalAccelerationInfo`` → 404 (the client's cloud-region probe)
  - datasets: ``/api/v1/datasets/{owner}/{name}/repo/tree?Revision=..&Recursive=True&PageNumber=..&PageSize=..``
    (the listing is paged; entries as above plus ``"Type": "tree"`` folders), ``/api/v1/datasets/{owner}/{name}/repo``
    (a file), ``…/revisions`` and the info as for models

Hugging Face (``huggingface_hub/hf_api.py``, ``file_download.py``)
  - ``GET /api/models/{owner}/{name}/revision/{rev}`` → model info with ``sha`` and ``siblings`` (size, blobId, lfs)
  - ``GET /api/models/{owner}/{name}/tree/{rev}?recursive=..`` → ``[{"type": "file", "oid", "size", "path", "lfs"}]``
  - ``HEAD/GET /{owner}/{name}/resolve/{rev}/{file}`` with ``ETag``, ``X-Repo-Commit``, ``Content-Length``,
    ``X-Linked-Etag``/``X-Linked-Size`` for LFS files, and ``Range``
  - datasets: the same under ``/api/datasets/{owner}/{name}/…`` and ``/datasets/{owner}/{name}/resolve/…``
  - errors carry ``X-Error-Code`` (RepoNotFound, GatedRepo, RevisionNotFound, EntryNotFound) like the real hub.

Fault switches (:class:`Faults`, change them any time during a test): drop the connection after N bytes of a file,
answer 500 a number of times, serve a corrupted file (the listing keeps the true checksum), require a token, and a
slow mode (bytes per second) so a test can cancel in the middle of a file. Every request is recorded in
:attr:`FakeHub.requests` (method, path, headers).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

LFS_SUFFIXES = (".safetensors", ".bin", ".gguf", ".onnx", ".pth", ".model", ".parquet")


@dataclass
class Faults:
    """What the fake hub does wrong. Keys of the dicts are file paths inside the repo (e.g. "model.safetensors")."""

    drop_after: dict[str, int] = field(default_factory=dict)
    """Send this many bytes of the file, then cut the connection (fires once per entry)."""
    error_500: dict[str, int] = field(default_factory=dict)
    """Answer the file's next N GET requests with HTTP 500."""
    corrupt: set[str] = field(default_factory=set)
    """Serve these files with one byte changed (the listing keeps the true size and checksum)."""
    script: dict[str, list[str]] = field(default_factory=dict)
    """Per file, what its next GET requests get, in order: "500", "drop:N" (cut after byte N) or "ok"."""
    stall_after: dict[str, int] = field(default_factory=dict)
    """Send this many bytes of the file, then stop sending (connection open) until :attr:`FakeHub.release` is set."""
    truncate: set[str] = field(default_factory=set)
    """Serve these files 100 bytes short, with headers that agree (the listing keeps the true size)."""
    slow_bps: int | None = None
    """Throttle file bodies to this many bytes per second (None: full speed)."""
    require_token: str | None = None
    """Every request must carry this token (``Authorization: Bearer``); otherwise 401 (403 for a wrong one)."""


@dataclass(frozen=True)
class RepoFile:
    path: str
    size: int
    sha256: str
    git_sha1: str
    lfs: bool


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]


def _git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Repo:
    """A served model or dataset repository: a folder's files, their checksums and a fake commit id."""

    def __init__(self, repo_id: str, folder: Path) -> None:
        self.repo_id = repo_id
        self.folder = folder
        self.commit = hashlib.sha1(repo_id.encode()).hexdigest()
        self.files: dict[str, RepoFile] = {}
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                rel = p.relative_to(folder).as_posix()
                data = p.read_bytes()
                self.files[rel] = RepoFile(rel, len(data), hashlib.sha256(data).hexdigest(), _git_blob_sha1(data),
                                           rel.endswith(LFS_SUFFIXES))

    def data(self, path: str) -> bytes:
        return (self.folder / path).read_bytes()


class FakeHub:
    """The fake hub server. Use as a context manager or call :meth:`start` / :meth:`stop`."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.datasets: dict[str, Repo] = {}
        """Dataset repositories (the hubs keep them apart from models: the same id may be both)."""
        self.faults = Faults()
        self.requests: list[Request] = []
        self.stalled = threading.Event()
        """Set when a response has started stalling (``Faults.stall_after``)."""
        self.release = threading.Event()
        """Set it to let stalled responses (``Faults.stall_after``) go on: they then close the connection."""
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- set-up -------------------------------------------------------------------------------------------------
    def add_repo(self, repo_id: str, folder: Path) -> Repo:
        """Serve ``folder`` as ``repo_id`` on both hubs."""
        repo = Repo(repo_id, folder)
        self.repos[repo_id] = repo
        return repo

    def add_dataset(self, repo_id: str, folder: Path) -> Repo:
        """Serve ``folder`` as the dataset repository ``repo_id`` on both hubs."""
        repo = Repo(repo_id, folder)
        self.datasets[repo_id] = repo
        return repo

    @property
    def url(self) -> str:
        """The endpoint to give the clients (``http://127.0.0.1:PORT``)."""
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            fake = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-hub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- inspection ---------------------------------------------------------------------------------------------
    def record(self, req: Request) -> None:
        with self._lock:
            self.requests.append(req)

    def file_requests(self, name: str, method: str = "GET") -> list[Request]:
        """The recorded requests that fetched file ``name`` (either hub's URL form)."""
        out = []
        for r in list(self.requests):
            if r.method != method:
                continue
            query = parse_qs(urlsplit(r.path).query)
            if query.get("FilePath", [None])[0] == name or urlsplit(r.path).path.endswith(f"/resolve/{name}") or \
                    unquote(urlsplit(r.path).path).split("/resolve/", 1)[-1].split("/", 1)[-1] == name:
                out.append(r)
        return out


class _Handler(BaseHTTPRequestHandler):
    fake: FakeHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # -- plumbing -----------------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def _dispatch(self, method: str) -> None:
        self.fake.record(Request(method, self.path, {k.lower(): v for k, v in self.headers.items()}))
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        try:
            if path.startswith("/api/v1/"):
                self._modelscope(method, path[len("/api/v1/"):], query)
            elif path.startswith("/api/models/"):
                self._hf_api(method, path[len("/api/models/"):], self.fake.repos)
            elif path.startswith("/api/datasets/"):
                self._hf_api(method, path[len("/api/datasets/"):], self.fake.datasets, "dataset")
            elif path.startswith("/datasets/") and "/resolve/" in path:
                self._hf_resolve(method, path[len("/datasets/"):], self.fake.datasets, "dataset")
            elif "/resolve/" in path:
                self._hf_resolve(method, path.lstrip("/"), self.fake.repos)
            else:
                self._json(404, {"error": "not found"})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        cookie = self.headers.get("Cookie", "")
        for part in cookie.split(";"):
            k, _, v = part.strip().partition("=")
            if k == "m_session_id":
                return v
        return None

    def _auth_problem(self) -> int | None:
        """401 (no token) / 403 (wrong token) when the hub requires one, else None."""
        need = self.fake.faults.require_token
        if need is None:
            return None
        tok = self._token()
        if tok is None:
            return 401
        return None if tok == need else 403

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None, head: bool = False) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _split_repo(self, rest: str, repos: dict[str, Repo]) -> tuple[Repo | None, str, str]:
        """``owner/name/tail...`` → (repo or None, repo_id, tail)."""
        bits = rest.split("/", 2)
        if len(bits) < 2:
            return None, rest, ""
        repo_id = f"{bits[0]}/{bits[1]}"
        return repos.get(repo_id), repo_id, bits[2] if len(bits) > 2 else ""

    # -- ModelScope ---------------------------------------------------------------------------------------------
    def _ms_error(self, status: int, message: str) -> None:
        self._json(status, {"Code": status, "Message": message, "Success": False, "RequestId": "fake"})

    def _modelscope(self, method: str, rest: str, query: dict[str, str]) -> None:
        kind, _, rest = rest.partition("/")
        if kind not in ("models", "datasets"):
            self._ms_error(404, f"unknown API {kind}/{rest}")
            return
        repo, repo_id, tail = self._split_repo(rest, self.fake.repos if kind == "models" else self.fake.datasets)
        problem = self._auth_problem()
        if problem:
            self._ms_error(problem, "请先登录 / authentication required" if problem == 401 else "permission denied")
            return
        if repo is None:
            what = "模型不存在 model" if kind == "models" else "数据集不存在 dataset"
            self._ms_error(404, f"{what} {repo_id} not found")
            return
        ok = {"Code": 200, "Success": True, "Message": "success", "RequestId": "fake"}
        files = [{"Name": f.path.rsplit("/", 1)[-1], "Path": f.path, "Type": "blob", "Size": f.size,
                  "Sha256": f.sha256, "Revision": repo.commit, "IsLFS": f.lfs, "Mode": "33188",
                  "Id": f.git_sha1, "CommitId": repo.commit} for f in repo.files.values()]
        if tail == "repo/files" and kind == "models":
            self._json(200, {**ok, "Data": {"Files": files}})
        elif tail == "repo/tree" and kind == "datasets":  # paged, folders listed too
            folders = sorted({"/".join(f.path.split("/")[:i]) for f in repo.files.values()
                              for i in range(1, f.path.count("/") + 1)})
            entries = [{"Name": d.rsplit("/", 1)[-1], "Path": d, "Type": "tree", "Size": 0, "Revision": repo.commit}
                       for d in folders] + files
            root = query.get("Root", "/").strip("/")
            if root:
                entries = [e for e in entries if str(e["Path"]).startswith(root + "/")]
            size = int(query.get("PageSize", "100"))
            page = int(query.get("PageNumber", "1"))
            self._json(200, {**ok, "Data": {"Files": entries[(page - 1) * size:page * size]}})
        elif tail == "repo":
            name = query.get("FilePath", "")
            if name not in repo.files:
                self._ms_error(404, f"file {name} not found")
                return
            self._send_file(method, repo, name, {})
        elif tail == "revisions":
            branch = {"Revision": "master", "CommitId": repo.commit, "CreatedAt": 1735689600}
            self._json(200, {**ok, "Data": {"RevisionMap": {"Branches": [branch], "Tags": []}}})
        elif tail == "":
            self._json(200, {**ok, "Data": {"Id": 1, "Name": repo_id.split("/")[1], "Path": repo_id.split("/")[0],
                                            "ModelType": ["llama"], "Revision": "master"}})
        else:
            self._ms_error(404, f"unknown API {kind}/{repo_id}/{tail}")

    # -- Hugging Face -------------------------------------------------------------------------------------------
    def _hf_error(self, status: int, code: str, message: str, head: bool = False) -> None:
        self._json(status, {"error": message}, {"X-Error-Code": code, "X-Error-Message": message}, head=head)

    def _hf_repo_or_error(self, repo: Repo | None, repo_id: str, head: bool = False,
                          kind: str = "model") -> Repo | None:
        problem = self._auth_problem()
        if problem:
            self._hf_error(problem, "GatedRepo", f"Access to {kind} {repo_id} is restricted. You must have access to "
                           "it and be authenticated to access it. Please log in.", head=head)
            return None
        if repo is None:
            # like the real hub: anonymous callers get 401 for a repo that may be private, token holders 404
            status = 404 if self._token() else 401
            self._hf_error(status, "RepoNotFound", "Repository not found", head=head)
            return None
        return repo

    def _hf_api(self, method: str, rest: str, repos: dict[str, Repo], kind: str = "model") -> None:
        repo, repo_id, tail = self._split_repo(rest, repos)
        repo = self._hf_repo_or_error(repo, repo_id, kind=kind)
        if repo is None:
            return
        if tail == "" or tail.startswith("revision/"):
            rev = tail[len("revision/"):] if tail else "main"
            if rev not in ("main", repo.commit):
                self._hf_error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
                return
            siblings = []
            for f in repo.files.values():
                s: dict[str, Any] = {"rfilename": f.path, "size": f.size, "blobId": f.git_sha1}
                if f.lfs:
                    s["lfs"] = {"sha256": f.sha256, "size": f.size, "pointerSize": 134}
                siblings.append(s)
            self._json(200, {"_id": repo.commit[:24], "id": repo_id, "modelId": repo_id, "sha": repo.commit,
                             "private": False, "disabled": False, "gated": False, "downloads": 0, "likes": 0,
                             "tags": ["mlx"], "library_name": "mlx", "siblings": siblings,
                             "lastModified": "2025-01-01T00:00:00.000Z", "createdAt": "2025-01-01T00:00:00.000Z"})
        elif tail.startswith("tree/"):
            rev, _, sub = tail[len("tree/"):].partition("/")
            if rev not in ("main", repo.commit):
                self._hf_error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
                return
            entries = []
            dirs: set[str] = set()
            for f in repo.files.values():
                if sub and not f.path.startswith(sub.rstrip("/") + "/"):
                    continue
                parts = f.path.split("/")[:-1]
                for i in range(1, len(parts) + 1):
                    dirs.add("/".join(parts[:i]))
                e: dict[str, Any] = {"type": "file", "oid": f.git_sha1, "size": f.size, "path": f.path}
                if f.lfs:
                    e["lfs"] = {"oid": f.sha256, "size": f.size, "pointerSize": 134}
                entries.append(e)
            entries += [{"type": "directory", "oid": "0" * 40, "size": 0, "path": d} for d in sorted(dirs)]
            self._json(200, entries)
        else:
            self._hf_error(404, "EntryNotFound", f"unknown API {tail}")

    def _hf_resolve(self, method: str, rest: str, repos: dict[str, Repo], kind: str = "model") -> None:
        head = method == "HEAD"
        repo_part, _, file_part = rest.partition("/resolve/")
        repo = repos.get(repo_part)
        repo = self._hf_repo_or_error(repo, repo_part, head=head, kind=kind)
        if repo is None:
            return
        rev, _, name = file_part.partition("/")
        if rev not in ("main", repo.commit):
            self._hf_error(404, "RevisionNotFound", f"Invalid rev id: {rev}", head=head)
            return
        f = repo.files.get(name)
        if f is None:
            self._hf_error(404, "EntryNotFound", f"{name} does not exist on main",
                           head=head)
            return
        extra = {"X-Repo-Commit": repo.commit, "ETag": f'"{f.sha256 if f.lfs else f.git_sha1}"'}
        if f.lfs:
            extra["X-Linked-Etag"] = f'"{f.sha256}"'
            extra["X-Linked-Size"] = str(f.size - (100 if name in self.fake.faults.truncate else 0))
        self._send_file(method, repo, name, extra)

    # -- file bodies (both hubs) --------------------------------------------------------------------------------
    def _send_file(self, method: str, repo: Repo, name: str, extra: dict[str, str]) -> None:
        faults = self.fake.faults
        action = faults.script[name].pop(0) if method == "GET" and faults.script.get(name) else ""
        if action == "500" or (method == "GET" and faults.error_500.get(name, 0) > 0):
            if action != "500":
                faults.error_500[name] -= 1
            self._json(500, {"error": "internal server error", "Code": 500, "Message": "internal error"})
            return
        data = repo.data(name)
        if name in faults.truncate:
            data = data[:-100]
        if name in faults.corrupt and data:
            data = bytes([data[0] ^ 0xFF]) + data[1:] if len(data) < 2 else data[:-1] + bytes([data[-1] ^ 0xFF])
        total = len(data)
        start, end = 0, total - 1
        status = 200
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes="):
            a, _, b = rng[len("bytes="):].partition("-")
            start = int(a) if a else 0
            end = int(b) if b else total - 1
            if start >= total:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{total}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            end = min(end, total - 1)
            status = 206
        body = data[start:end + 1]
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{total}")
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        if method == "HEAD":
            return
        stall = faults.stall_after.pop(name, None) if method == "GET" else None
        if stall is not None:
            self._write_body(body[:max(0, stall - start)], faults.slow_bps)
            self.wfile.flush()
            self.fake.stalled.set()
            self.fake.release.wait(60)
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        drop = faults.drop_after.pop(name, None) if method == "GET" else None
        if action.startswith("drop:"):
            drop = int(action[len("drop:"):])
        limit = len(body) if drop is None else max(0, min(len(body), drop - start))
        self._write_body(body[:limit], faults.slow_bps)
        if drop is not None:
            self.wfile.flush()
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True

    def _write_body(self, body: bytes, slow_bps: int | None) -> None:
        if not slow_bps:
            self.wfile.write(body)
            return
        chunk = max(1024, slow_bps // 20)
        for i in range(0, len(body), chunk):
            self.wfile.write(body[i:i + chunk])
            self.wfile.flush()
            time.sleep(len(body[i:i + chunk]) / slow_bps)


# -- fixtures -----------------------------------------------------------------------------------------------------
TEST_REPO = "mlxstudio-test/tiny-llama"
BIN_ONLY_REPO = "mlxstudio-test/bin-only"


def make_repo_folder(tiny_model: Path, dest: Path) -> Path:
    """The tiny model plus files a real repo has that a download must skip (README, .bin/.onnx duplicates…)."""
    shutil.copytree(tiny_model, dest)
    (dest / "README.md").write_text("# tiny llama\n测试模型\n", encoding="utf-8")
    (dest / ".gitattributes").write_text("*.safetensors filter=lfs diff=lfs merge=lfs -text\n")
    (dest / "pytorch_model.bin").write_bytes(b"\0" * 50_000)
    (dest / "onnx").mkdir()
    (dest / "onnx" / "model.onnx").write_bytes(b"\1" * 30_000)
    (dest / "onnx" / "config.json").write_text("{}")
    (dest / "generation_config.json").write_text(json.dumps({"eos_token_id": 2}))
    return dest


def make_bin_only_folder(tiny_model: Path, dest: Path) -> Path:
    """A repo with PyTorch weights only (MLX cannot read them)."""
    dest.mkdir(parents=True)
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy2(tiny_model / name, dest / name)
    (dest / "pytorch_model.bin").write_bytes(b"\0" * 1000)
    return dest


@pytest.fixture
def fake_hub(tiny_model_session: Path, tmp_path_factory: pytest.TempPathFactory,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """A running :class:`FakeHub` serving :data:`TEST_REPO` (the tiny model) and :data:`BIN_ONLY_REPO`.

    The tests' conftest switches Hugging Face to offline mode (nothing may reach the internet); this fixture turns
    it back on for the duration of the test — every request goes to 127.0.0.1.
    """
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    root = tmp_path_factory.mktemp("fakehub")
    hub = FakeHub()
    hub.add_repo(TEST_REPO, make_repo_folder(tiny_model_session, root / "tiny"))
    hub.add_repo(BIN_ONLY_REPO, make_bin_only_folder(tiny_model_session, root / "binonly"))
    with hub:
        yield hub
