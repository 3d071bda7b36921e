"""Downloads killed with SIGKILL, then restarted: they resume, and the library never lists a half model — checked by
watching the library (``list_models``) the whole time, not just at the end.

(test_hub.py covers: cancel + resume, dropped connection, HTTP 500, truncated file, wrong checksum, no server, disk
full, and a ModelScope download killed mid-file. Added here: Hugging Face killed mid-file, and a download killed
between its conversion to 4-bit and the move into the library.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hub_server import TEST_REPO, FakeHub, fake_hub  # noqa: F401

from mlxstudio.core import paths
from mlxstudio.core.hub import common as hc
from mlxstudio.core.hub.download import download_model
from mlxstudio.core.models.library import list_models


class LibraryWatch:
    """Lists the library every few milliseconds on a thread; remembers every (name, problem) it ever saw."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str | None]] = set()
        self.looks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for info in list_models():
                self.seen.add((info.name, info.problem))
            self.looks += 1
            time.sleep(0.01)

    def __enter__(self) -> LibraryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        seen = self.looks
        deadline = time.monotonic() + 10
        while self.looks < seen + 2 and time.monotonic() < deadline:  # a full look at the final state too
            time.sleep(0.01)
        self._stop.set()
        self._thread.join(10)


def child(script: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, HF_HUB_OFFLINE="0")  # the child talks to the local fake hub only (the endpoint below)
    return subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def kill_when(proc: subprocess.Popen[bytes], ready: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    try:
        while not ready():  # type: ignore[operator]
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                pytest.fail(f"the download ended (exit {proc.returncode}) before the kill point:\n{err[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("the kill point was not reached")
            time.sleep(0.02)
    finally:
        proc.kill()
        proc.wait(30)


def test_huggingface_download_killed_mid_file_resumes(fake_hub: FakeHub) -> None:  # noqa: F811
    fake_hub.faults.slow_bps = 150_000
    staging = hc.staging_dir("huggingface", TEST_REPO)
    files = staging / "files"
    script = ("from mlxstudio.core.hub.download import download_model; "
              f"download_model('huggingface', {TEST_REPO!r}, endpoint={fake_hub.url!r})")
    partial = files / ".cache" / "huggingface" / "download"
    started: list[float] = []

    def mid_file() -> bool:  # huggingface_hub writes 10 MB chunks: the body is arriving while .incomplete exists
        if not started and (files / "config.json").is_file() and list(partial.glob("*.incomplete")):
            started.append(time.monotonic())
        return bool(started) and time.monotonic() - started[0] > 0.5

    with LibraryWatch() as watch:
        proc = child(script)
        kill_when(proc, mid_file)
        assert not (files / "model.safetensors").exists(), "the kill came too late"
        assert list_models() == []
        done_before = {p.name for p in files.iterdir() if p.is_file()}
        gets_before = {name: len(fake_hub.file_requests(name)) for name in done_before}
        fake_hub.faults.slow_bps = None
        path = download_model("huggingface", TEST_REPO, endpoint=fake_hub.url)
    assert {name for name, _ in watch.seen} <= {"tiny-llama"} and watch.looks > 20
    assert ("tiny-llama", None) in watch.seen and len(watch.seen) == 1, watch.seen
    for name in done_before:  # files finished before the kill were not downloaded again
        assert len(fake_hub.file_requests(name)) == gets_before[name], name
    assert not staging.exists(), "the staging folder is cleaned after the move"
    from mlx_lm.utils import load

    load(str(path))


FREEZE_AFTER_CONVERT = """
import pathlib, time
from mlxstudio.core.models import library
real = library.write_source
def write_source(folder, *a, **k):
    real(folder, *a, **k)
    if pathlib.Path(folder).name == "converted":
        pathlib.Path({marker!r}).write_text("converted, not moved yet")
        time.sleep(120)
library.write_source = write_source  # before convert is imported: it binds the name
from mlxstudio.core.hub.download import download_model
download_model("modelscope", {repo!r}, endpoint={url!r}, quantize=4, group_size=32)
"""


def test_download_killed_after_converting_resumes(fake_hub: FakeHub, tmp_path: Path) -> None:  # noqa: F811
    """Killed after the 4-bit conversion, before the move into the library: the restart finishes the job."""
    marker = tmp_path / "converted"
    with LibraryWatch() as watch:
        proc = child(FREEZE_AFTER_CONVERT.format(marker=str(marker), repo=TEST_REPO, url=fake_hub.url))
        kill_when(proc, marker.exists)
        assert list_models() == []
        path = download_model("modelscope", TEST_REPO, endpoint=fake_hub.url, quantize=4, group_size=32)
    assert watch.seen == {("tiny-llama", None)}, watch.seen
    info = list_models()[0]
    assert info.bits == 4 and info.problem is None
    assert [p.name for p in paths.models_dir().iterdir()] == ["tiny-llama"]
    assert not hc.staging_dir("modelscope", TEST_REPO).exists()
    from mlx_lm.utils import load

    load(str(path))
