"""Model downloads with the real modelscope / huggingface_hub clients against a local fake hub (tests/hub_server.py).

Faults: cancel mid-file then resume, connection dropped + server error mid-file, process killed mid-file, wrong
checksum, 404, auth, no server, full disk, unusable repos. The library never gets half a model; the token is never
written anywhere.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hub_server import BIN_ONLY_REPO, TEST_REPO, FakeHub, fake_hub  # noqa: F401

from mlxstudio.core import errors, paths
from mlxstudio.core import events as ev
from mlxstudio.core.hub import common as hc
from mlxstudio.core.hub.download import download_model, staging_info

HUBS = ["modelscope", "huggingface"]
NEEDED = {"config.json", "generation_config.json", "model.safetensors", "model.safetensors.index.json",
          "tokenizer.json", "tokenizer_config.json"}


class Recorder:
    """A sink that keeps the events (thread-safe) and can set a cancel flag when a condition is met."""

    def __init__(self) -> None:
        self.events: list[ev.Event] = []
        self.cancel = threading.Event()
        self.cancelled_at: float | None = None
        self.cancel_when_file_bytes: tuple[str, int] | None = None
        self._lock = threading.Lock()

    def __call__(self, e: ev.Event) -> None:
        with self._lock:
            self.events.append(e)
        if self.cancel_when_file_bytes and isinstance(e, ev.DownloadProgress) and not self.cancel.is_set():
            name, n = self.cancel_when_file_bytes
            if e.file == name and e.file_done >= n:
                self.cancelled_at = time.monotonic()
                self.cancel.set()

    def progress(self) -> list[ev.DownloadProgress]:
        return [e for e in self.events if isinstance(e, ev.DownloadProgress)]


def library() -> list[str]:
    return sorted(p.name for p in paths.models_dir().iterdir())


def assert_loads(model_dir: Path) -> None:
    from mlx_lm import load  # (conftest loaded the fast BLAS first)
    from mlx_lm.generate import generate

    model, tokenizer = load(str(model_dir))
    out = generate(model, tokenizer, "hello", max_tokens=2, verbose=False)
    assert isinstance(out, str)


@pytest.mark.parametrize("hub", HUBS)
def test_full_download(hub: str, fake_hub: FakeHub) -> None:  # noqa: F811
    rec = Recorder()
    path = download_model(hub, TEST_REPO, endpoint=fake_hub.url, sink=rec)
    assert path == paths.models_dir() / "tiny-llama"
    assert {p.name for p in path.iterdir()} == NEEDED | {"mlxstudio.json"}  # no README, .bin, onnx/, .cache
    from mlxstudio.core.models.library import inspect_model, read_source

    src = read_source(path)
    assert src["source"] == f"{hub}: {TEST_REPO}"
    assert src["revision"] == fake_hub.repos[TEST_REPO].commit or hub == "modelscope"
    assert inspect_model(path).architecture
    assert_loads(path)
    prog = rec.progress()
    assert prog and prog[-1].done == prog[-1].total == sum(f.size for f in fake_hub.repos[TEST_REPO].files.values()
                                                           if f.path in NEEDED)
    assert all(b.done >= a.done for a, b in itertools.pairwise(prog))
    assert isinstance(rec.events[-1], ev.Finished)
    assert not hc.staging_dir(hub, TEST_REPO).exists()
    skipped = {"README.md", "pytorch_model.bin", "onnx/model.onnx", ".gitattributes"}
    assert not any(fake_hub.file_requests(n) for n in skipped)


@pytest.mark.parametrize("hub", HUBS)
def test_cancel_mid_file_then_resume(hub: str, fake_hub: FakeHub) -> None:  # noqa: F811
    fake_hub.faults.slow_bps = 120_000
    rec = Recorder()
    rec.cancel_when_file_bytes = ("model.safetensors", 60_000)
    with pytest.raises(errors.Cancelled, match="resume"):
        download_model(hub, TEST_REPO, endpoint=fake_hub.url, sink=rec, cancel=rec.cancel)
    stopped = time.monotonic()
    assert rec.cancelled_at is not None
    assert stopped - rec.cancelled_at < 1.5, "cancel must stop the download within about a second"
    assert library() == []
    staging = hc.staging_dir(hub, TEST_REPO) / "files"
    assert (staging / "config.json").is_file()  # finished files are kept
    size = fake_hub.repos[TEST_REPO].files["model.safetensors"].size
    partial = staging / "model.safetensors.incomplete"
    if hub == "modelscope":  # the client keeps the partial file and resumes it with Range
        assert 60_000 <= partial.stat().st_size < size
    assert staging_info(hub, TEST_REPO) > 0

    fake_hub.faults.slow_bps = None
    first_requests = len(fake_hub.requests)
    path = download_model(hub, TEST_REPO, endpoint=fake_hub.url)
    assert_loads(path)
    again = fake_hub.requests[first_requests:]
    gets = [r for r in again if r.method == "GET"]
    assert not [r for r in gets if r.path.endswith("config.json") and "index" not in r.path
                and "generation" not in r.path and "tokenizer" not in r.path], "finished files are not fetched again"
    if hub == "modelscope":
        ranges = [r.headers.get("range", "") for r in gets if "model.safetensors" in r.path
                  and "index" not in r.path]
        assert any(r.startswith("bytes=") and int(r[6:].split("-")[0]) >= 60_000 for r in ranges), ranges


@pytest.mark.parametrize("hub", HUBS)
def test_cancel_while_the_connection_is_stalled(hub: str, fake_hub: FakeHub) -> None:  # noqa: F811
    """No bytes arrive (the client is blocked in a read): cancel still returns within about a second."""
    fake_hub.faults.stall_after["model.safetensors"] = 50_000
    cancel = threading.Event()
    asked: list[float] = []

    def cancel_during_the_stall() -> None:
        if fake_hub.stalled.wait(20):
            time.sleep(0.3)  # the client is now blocked in its read
            asked.append(time.monotonic())
            cancel.set()

    threading.Thread(target=cancel_during_the_stall, daemon=True).start()
    with pytest.raises(errors.Cancelled):
        download_model(hub, TEST_REPO, endpoint=fake_hub.url, cancel=cancel)
    assert asked and time.monotonic() - asked[0] < 2.0
    assert library() == []
    fake_hub.release.set()  # the stalled read now ends; the next start waits for that attempt to wind down
    path = download_model(hub, TEST_REPO, endpoint=fake_hub.url)
    assert_loads(path)


@pytest.mark.parametrize("hub", HUBS)
def test_connection_dropped_and_server_error_mid_file(hub: str, fake_hub: FakeHub) -> None:  # noqa: F811
    fake_hub.faults.script["model.safetensors"] = ["drop:100000", "500"]
    rec = Recorder()
    path = download_model(hub, TEST_REPO, endpoint=fake_hub.url, sink=rec)
    assert_loads(path)
    gets = fake_hub.file_requests("model.safetensors")
    assert len(gets) >= 3  # dropped, 500, then complete
    if hub == "modelscope":
        assert gets[1].headers.get("range") == "bytes=100000-", "the dropped file is resumed, not restarted"
    # (huggingface_hub reads bodies in 10 MB chunks: a drop inside the first 10 MB restarts the file)
    assert library() == ["tiny-llama"]


@pytest.mark.parametrize("hub", HUBS)
def test_wrong_checksum_is_rejected(hub: str, fake_hub: FakeHub) -> None:  # noqa: F811
    fake_hub.faults.corrupt.add("model.safetensors")
    with pytest.raises(hc.ChecksumMismatch, match="corrupted") as info:
        download_model(hub, TEST_REPO, endpoint=fake_hub.url)
    assert "start the download again" in str(info.value)
    assert library() == []
    staging = hc.staging_dir(hub, TEST_REPO) / "files"
    assert not (staging / "model.safetensors").exists(), "a corrupted file is never kept"
    fake_hub.faults.corrupt.clear()
    assert_loads(download_model(hub, TEST_REPO, endpoint=fake_hub.url))


@pytest.mark.parametrize("hub", HUBS)
def test_unknown_model_is_a_clear_error(hub: str, fake_hub: FakeHub) -> None:  # noqa: F811
    with pytest.raises(hc.ModelNotFound, match="nobody/nothing was not found on") as info:
        download_model(hub, "nobody/nothing", endpoint=fake_hub.url)
    assert "check the model id" in str(info.value)
    assert "\n" not in str(info.value)
    assert library() == []


def _all_files_text(root: Path) -> str:
    chunks = []
    for p in root.rglob("*"):
        if p.is_file():
            chunks.append(p.read_bytes().decode("utf-8", "replace"))
    return "\n".join(chunks)


@pytest.mark.parametrize("hub", HUBS)
def test_auth_error_and_token_never_written(hub: str, fake_hub: FakeHub) -> None:  # noqa: F811
    secret = "hf_TopSecretToken123456"
    fake_hub.faults.require_token = secret
    with pytest.raises(hc.AuthRequired) as info:
        download_model(hub, TEST_REPO, endpoint=fake_hub.url)
    if hub == "huggingface":
        assert "add a Hugging Face token in Preferences" in str(info.value)
    else:
        assert "token" in str(info.value)
    with pytest.raises(hc.AuthRequired) as info:
        download_model(hub, TEST_REPO, endpoint=fake_hub.url, token="hf_WrongToken999999")
    assert "hf_WrongToken999999" not in str(info.value)
    assert library() == []

    rec = Recorder()
    path = download_model(hub, TEST_REPO, endpoint=fake_hub.url, token=secret, sink=rec)
    assert_loads(path)
    assert any(secret in r.headers.get("authorization", "") + r.headers.get("cookie", "") for r in fake_hub.requests)
    home = paths.home()
    text = _all_files_text(home)
    assert secret not in text and "hf_WrongToken999999" not in text
    assert secret not in "".join(ev.to_json(e) for e in rec.events)


@pytest.mark.parametrize("hub", HUBS)
def test_pytorch_only_repo_is_refused_before_downloading(hub: str, fake_hub: FakeHub) -> None:  # noqa: F811
    with pytest.raises(hc.UnsupportedModel, match=r"PyTorch \.bin"):
        download_model(hub, BIN_ONLY_REPO, endpoint=fake_hub.url)
    assert not [r for r in fake_hub.requests if r.method == "GET" and ("FilePath=" in r.path or "/resolve/" in r.path)]


@pytest.mark.parametrize("hub", HUBS)
def test_not_enough_disk_space(hub: str, fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setattr(hc, "free_disk_bytes", lambda _folder: 10_000_000)
    with pytest.raises(hc.DiskFull, match="free some space"):
        download_model(hub, TEST_REPO, endpoint=fake_hub.url)
    assert not fake_hub.file_requests("model.safetensors")


@pytest.mark.parametrize("hub", HUBS)
def test_no_server_is_a_quick_clear_error(hub: str) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    with pytest.raises(hc.NetworkError, match="check your internet connection"):
        download_model(hub, TEST_REPO, endpoint=f"http://127.0.0.1:{port}")
    assert time.monotonic() - t0 < 10


def test_name_taken_and_bad_input(fake_hub: FakeHub) -> None:  # noqa: F811
    (paths.models_dir() / "tiny-llama").mkdir()
    with pytest.raises(hc.ModelExists, match="already has a model named 'tiny-llama'"):
        download_model("modelscope", TEST_REPO, endpoint=fake_hub.url)
    path = download_model("hf", TEST_REPO, name="tiny-2", endpoint=fake_hub.url)
    assert path.name == "tiny-2"
    with pytest.raises(errors.UserError, match="owner/name"):
        download_model("modelscope", "not a model id", endpoint=fake_hub.url)
    with pytest.raises(errors.UserError, match="unknown hub"):
        download_model("github", TEST_REPO, endpoint=fake_hub.url)


def test_killed_process_resumes(fake_hub: FakeHub, tmp_path: Path) -> None:  # noqa: F811
    """A download killed with SIGKILL in the middle of a file resumes from the partial file on the next start."""
    fake_hub.faults.slow_bps = 100_000
    script = ("import sys; from mlxstudio.core.hub.download import download_model; "
              f"download_model('modelscope', {TEST_REPO!r}, endpoint={fake_hub.url!r})")
    proc = subprocess.Popen([sys.executable, "-c", script], env=os.environ.copy(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = hc.staging_dir("modelscope", TEST_REPO) / "files" / "model.safetensors.incomplete"
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            if partial.exists() and partial.stat().st_size >= 50_000:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the download in the child process did not start")
    finally:
        proc.kill()
        proc.wait()
    kept = partial.stat().st_size
    assert library() == []
    fake_hub.faults.slow_bps = None
    path = download_model("modelscope", TEST_REPO, endpoint=fake_hub.url)
    assert_loads(path)
    ranges = [r.headers.get("range", "") for r in fake_hub.file_requests("model.safetensors")]
    assert f"bytes={kept}-" in ranges


def test_model_ids_and_names() -> None:
    assert hc.check_model_id(" Qwen/Qwen2.5-0.5B-Instruct ") == "Qwen/Qwen2.5-0.5B-Instruct"
    assert hc.check_model_id("https://huggingface.co/mlx-community/Qwen3-0.6B-4bit/tree/main") == \
        "mlx-community/Qwen3-0.6B-4bit"
    assert hc.check_model_id("https://modelscope.cn/models/Qwen/Qwen3-0.6B/files") == "Qwen/Qwen3-0.6B"
    for bad in ("Qwen3-0.6B", "a/b/c", "../x", "a/..", "", "a b/c"):
        with pytest.raises(errors.UserError):
            hc.check_model_id(bad)
    assert hc.library_name("Qwen/Qwen3-0.6B", None) == "Qwen3-0.6B"
    for bad in ("../x", ".hidden", "a/b"):
        with pytest.raises(errors.UserError):
            hc.library_name("o/m", bad)


def test_select_files_picks_what_a_model_needs() -> None:
    def listing(*names: str) -> hc.Listing:
        return hc.Listing("huggingface", "o/m", "main", tuple(hc.RemoteFile(n, 10) for n in names))

    got = hc.select_files(listing("config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                                  "model.safetensors.index.json", "tokenizer.json", "merges.txt", "vocab.json",
                                  "chat_template.jinja", "README.md", "pytorch_model.bin", "modeling_x.py",
                                  "consolidated.safetensors", "original/params.json", "onnx/model.onnx", "x.gguf",
                                  "LICENSE"))
    assert [f.path for f in got] == ["LICENSE", "chat_template.jinja", "config.json", "merges.txt",
                                     "model.safetensors.index.json", "tokenizer.json", "vocab.json",
                                     "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    with pytest.raises(hc.UnsupportedModel, match="adapter"):
        hc.select_files(listing("adapter_config.json", "adapter_model.safetensors"))
    with pytest.raises(hc.UnsupportedModel, match="GGUF"):
        hc.select_files(listing("README.md", "m.Q4_0.gguf"))
    with pytest.raises(hc.UnsupportedModel, match="tokenizer"):
        hc.select_files(listing("config.json", "model.safetensors"))
    with pytest.raises(hc.UnsupportedModel, match="layout"):
        hc.select_files(listing("config.json", "consolidated.safetensors", "tokenizer.json"))


@pytest.mark.parametrize("hub", HUBS)
def test_truncated_file_is_rejected(hub: str, fake_hub: FakeHub) -> None:  # noqa: F811
    """The server serves a file shorter than the listing says (with headers that agree): never accepted."""
    fake_hub.faults.truncate.add("tokenizer.json")
    with pytest.raises(hc.ChecksumMismatch):
        download_model(hub, TEST_REPO, endpoint=fake_hub.url)
    assert library() == []
    fake_hub.faults.truncate.clear()
    assert_loads(download_model(hub, TEST_REPO, endpoint=fake_hub.url))


def test_disk_full_while_writing_is_a_clear_error() -> None:
    import errno

    from modelscope_hub import errors as mse

    from mlxstudio.core.hub import huggingface as hub_hf
    from mlxstudio.core.hub import modelscope as hub_modelscope

    full = OSError(errno.ENOSPC, "No space left on device")
    wrapped = mse.FileDownloadError("1 of 6 file(s) failed", failed_files={"model.safetensors": full}, total=6,
                                    output_dir=None)
    for err in (hub_modelscope.map_error(full, "o/m", None), hub_modelscope.map_error(wrapped, "o/m", None),
                hub_hf.map_error(full, "o/m", None)):
        assert isinstance(err, hc.DiskFull) and "free some space" in str(err)


def test_nothing_written_outside_the_app_folder(fake_hub: FakeHub) -> None:  # noqa: F811
    """The clients' caches, locks and refs all stay inside MLX Studio's staging folder (not ~/.cache/...)."""
    marker = time.time() - 1
    for hub in HUBS:
        download_model(hub, TEST_REPO, name=f"t-{hub}", endpoint=fake_hub.url)
    home = Path.home()
    for sub in (".cache/huggingface", ".cache/modelscope", ".modelscope"):
        root = home / sub
        if root.exists():
            newer = [p for p in root.rglob("*") if p.stat().st_mtime > marker]
            assert not newer, newer[:5]


def test_only_the_chosen_hub_is_contacted(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """No telemetry, no region probes elsewhere: every connection goes to the endpoint the user chose."""
    import socket

    hosts: list[str] = []
    real = socket.getaddrinfo

    def spy(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        hosts.append(str(host))
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    for hub in HUBS:
        download_model(hub, TEST_REPO, name=f"t-{hub}", endpoint=fake_hub.url)
    assert hosts and set(hosts) == {"127.0.0.1"}
    known = ("/api/v1/models/", "/api/v1/repos/internalAccelerationInfo", "/api/models/", f"/{TEST_REPO}/resolve/")
    assert all(r.path.startswith(known) for r in fake_hub.requests), [r.path for r in fake_hub.requests]
