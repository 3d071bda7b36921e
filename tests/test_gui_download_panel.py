"""The download panel against the local fake hub: progress signals, cancel (and resume), success, inline errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hub_server import TEST_REPO, FakeHub, fake_hub  # noqa: F401
from PySide6.QtCore import Qt

from mlxstudio.core import events as ev
from mlxstudio.core import paths
from mlxstudio.gui import jobs, settings
from mlxstudio.gui.download_panel import DownloadPanel, describe_progress, format_eta

SHOTS = Path(__file__).resolve().parent.parent / "screenshots"


def _shot(w: DownloadPanel, name: str) -> None:
    if os.environ.get("MLXSTUDIO_SCREENSHOTS", "1") != "0":
        SHOTS.mkdir(exist_ok=True)
        w.grab().save(str(SHOTS / f"download-{name}.png"))


@pytest.fixture
def panel(qtbot, fake_hub: FakeHub):  # noqa: F811
    w = DownloadPanel()
    qtbot.addWidget(w)
    w.resize(760, 230)
    w.show()
    w.hub.setCurrentIndex(w.hub.findData("huggingface"))
    w.endpoint.setText(fake_hub.url)
    w.model_id.setText(TEST_REPO)
    yield w
    w.shutdown()
    assert not jobs.running()


def test_download_success_with_progress_signals(qtbot, panel: DownloadPanel, fake_hub: FakeHub) -> None:  # noqa: F811
    fake_hub.faults.slow_bps = 400_000
    events: list[ev.DownloadProgress] = []
    panel.progress.connect(events.append)
    _shot(panel, "idle")
    with qtbot.waitSignal(panel.model_added, timeout=30_000) as added:
        qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
        assert panel.is_busy() and panel.cancel_button.isVisible() and not panel.download_button.isVisible()
        qtbot.waitUntil(lambda: panel.bar.value() > 300 and panel.bar.maximum() == 1000, timeout=20_000)
        _shot(panel, "downloading")
        assert "model.safetensors" in panel.status.text() or "of" in panel.status.text()
    path = added.args[0]
    assert path == paths.models_dir() / "tiny-llama" and (path / "config.json").is_file()
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=5_000)
    assert events and events[-1].done == events[-1].total
    assert panel.bar.value() == 1000
    assert panel.message.text() == f"{TEST_REPO} is in the library as tiny-llama."
    assert panel.download_button.isVisible() and not panel.cancel_button.isVisible()
    _shot(panel, "done")
    # the endpoint typed in the panel is remembered for this hub
    assert settings.HUGGINGFACE_ENDPOINT.get() == fake_hub.url


def test_cancel_then_resume(qtbot, panel: DownloadPanel, fake_hub: FakeHub) -> None:  # noqa: F811
    panel.hub.setCurrentIndex(panel.hub.findData("modelscope"))
    panel.endpoint.setText(fake_hub.url)
    panel.model_id.setText(TEST_REPO)
    fake_hub.faults.slow_bps = 100_000
    outcomes: list[str] = []
    panel.finished.connect(outcomes.append)
    panel.start_download()
    qtbot.waitUntil(lambda: panel.bar.maximum() == 1000 and panel.bar.value() > 200, timeout=20_000)
    with qtbot.waitSignal(panel.finished, timeout=3_000):
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=3_000)
    assert outcomes == ["cancelled"]
    assert "start it again to resume" in panel.message.text()
    assert panel.download_button.text() == "Resume download"
    assert "kept" in panel.hint.text()
    assert list(paths.models_dir().iterdir()) == []
    _shot(panel, "cancelled")

    fake_hub.faults.slow_bps = None
    with qtbot.waitSignal(panel.model_added, timeout=30_000):
        qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
    ranges = [r.headers.get("range", "") for r in fake_hub.file_requests("model.safetensors")]
    assert any(r.startswith("bytes=") and r != "bytes=0-" for r in ranges), "the second start resumed mid-file"


def test_errors_are_one_sentence_inline(qtbot, panel: DownloadPanel, fake_hub: FakeHub) -> None:  # noqa: F811
    panel.model_id.setText("nobody/nothing")
    with qtbot.waitSignal(panel.finished, timeout=20_000) as done:
        panel.start_download()
    assert done.args == ["failed"]
    assert panel.message.isVisible() and "nobody/nothing was not found on Hugging Face" in panel.message.text()
    assert "Traceback" not in panel.message.text()
    _shot(panel, "error")

    fake_hub.faults.require_token = "hf_GuiSecret123456"
    panel.model_id.setText(TEST_REPO)
    with qtbot.waitSignal(panel.finished, timeout=20_000):
        panel.start_download()
    assert "add a Hugging Face token in Preferences" in panel.message.text()
    panel.advanced.expand(animate=False)
    panel.token.setText("hf_GuiSecret123456")
    with qtbot.waitSignal(panel.model_added, timeout=30_000):
        panel.start_download()
    assert settings.HF_TOKEN.get() == "hf_GuiSecret123456"  # kept in the settings file, for the next time
    library = paths.models_dir() / "tiny-llama"
    assert all("hf_GuiSecret123456" not in p.read_text(errors="replace") for p in library.rglob("*.json"))
    assert all("hf_GuiSecret123456" not in p.read_text(errors="replace") for p in paths.logs_dir().rglob("*"))

    panel.model_id.setText("not an id")
    panel.start_download()
    assert not panel.is_busy() and "owner/name" in panel.message.text()


def test_suggestions_and_formatting(qtbot) -> None:
    w = DownloadPanel()
    qtbot.addWidget(w)
    w.hub.setCurrentIndex(w.hub.findData("modelscope"))
    ids = [a.text().split()[0] for a in w.suggest.menu().actions()]
    assert "Qwen/Qwen3-0.6B" in ids and "mlx-community/Qwen3-0.6B-4bit" not in ids
    w.hub.setCurrentIndex(w.hub.findData("huggingface"))
    ids = [a.text().split()[0] for a in w.suggest.menu().actions()]
    assert "mlx-community/Qwen3-0.6B-4bit" in ids
    w.suggest.menu().actions()[0].trigger()
    assert w.model_id.text() == ids[0] and w.hint.text()
    assert not w.token.isHidden() and w.token.echoMode() == w.token.EchoMode.Password
    assert format_eta(12) == "12 s left" and format_eta(150) == "about 2 min left" and format_eta(None) == ""
    text = describe_progress(ev.DownloadProgress("model.safetensors", 10, 100, 1500, 3 * 1000 ** 2, 2000.0, 90.0))
    assert text == "model.safetensors — 1.5 KB of 3.0 MB · 2.0 KB/s · about 2 min left"  # decimal, like the library


def test_name_taken_unfolds_advanced_with_a_free_name(qtbot, panel: DownloadPanel, fake_hub: FakeHub) -> None:  # noqa: F811
    (paths.models_dir() / "tiny-llama").mkdir(parents=True)  # the default name (after the slash) is taken
    assert not panel.advanced.isExpanded()
    panel.start_download()
    assert not panel.is_busy()
    assert panel.advanced.isExpanded() and panel.name.isVisible()  # the field the message points to is on screen
    assert panel.name.text() == "tiny-llama-2" and panel.name.hasFocus() and panel.name.selectedText() == "tiny-llama-2"
    assert "already has a model named “tiny-llama”" in panel.message.text() and "tiny-llama-2" in panel.message.text()
    assert panel.message.action_button.text() == "Download as tiny-llama-2"
    _shot(panel, "name-taken")
    panel.name.setText("something else")  # the button downloads under the name it shows
    with qtbot.waitSignal(panel.model_added, timeout=30_000) as added:
        qtbot.mouseClick(panel.message.action_button, Qt.MouseButton.LeftButton)
    assert added.args[0] == paths.models_dir() / "tiny-llama-2"
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=5_000)

    panel.name.setText("later")  # the name is taken while the files arrive: the same help, after the download
    panel.advanced.collapse(animate=False)
    fake_hub.faults.slow_bps = 400_000
    with qtbot.waitSignal(panel.finished, timeout=30_000) as done:
        panel.start_download()
        (paths.models_dir() / "later").mkdir()
    assert done.args == ["failed"]
    assert panel.advanced.isExpanded() and panel.name.text() == "later-2"
    assert "already has a model named “later”" in panel.message.text()
