"""The Model page brings the model someone already has: "Add Folder…" (a `modelscope download` folder, bf16 Qwen3),
a dropped folder shown with its details outside the library, and "Found on this computer" (the stores' real layouts
in a temp dir) with one click to add or import."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from gui_helpers import shot
from PySide6.QtWidgets import QApplication, QFileDialog
from store_layouts import hf_cache_entry, make_modelscope_download, modelscope_cache_entry, ollama_entry

from mlxstudio.core import paths
from mlxstudio.core.models import inspect_model
from mlxstudio.gui.main_window import MainWindow
from mlxstudio.gui.model.add_folder import OUTSIDE_SOURCE
from mlxstudio.gui.pages.model_page import ModelPage
from mlxstudio.gui.state import AppState

pytestmark = pytest.mark.usefixtures("no_dangling_jobs")
SHOTS = Path(os.environ.get("MLXSTUDIO_SHOTS19", "/tmp/shots19"))


def save(widget: object, name: str) -> None:
    """Screenshots for looking at (issue 19), and the repo's usual ones with MLXSTUDIO_SCREENSHOTS=1."""
    for _ in range(20):  # deferred layout first, as a person would see the window
        QApplication.processEvents()
        threading.Event().wait(0.02)
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(SHOTS / f"{name}.png"))  # type: ignore[attr-defined]
    shot(widget, name)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def qwen_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_modelscope_download(tmp_path_factory.mktemp("ms-gui") / "Qwen3-0.6B")


@pytest.fixture
def qwen(qwen_session: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(qwen_session, tmp_path / "downloads" / "Qwen3-0.6B"))


def make_page(qtbot, state: AppState | None = None) -> ModelPage:
    page = ModelPage(state or AppState())
    qtbot.addWidget(page)
    page.resize(1100, 760)
    page.show()
    return page


def test_add_folder_button_adds_a_modelscope_download(qtbot, qwen: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = make_page(qtbot)
    assert page.empty.add_folder_button.isVisible() and page.add_folder_button.isVisible()
    save(page, "model-empty-add-folder")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(qwen))
    with qtbot.waitSignal(page.job_finished, timeout=120_000) as blocker:
        page.add_folder_button.click()
    assert blocker.args[0] == "ok", blocker.args
    target = paths.models_dir() / "Qwen3-0.6B"
    assert blocker.args[1] == target and page.selected_path() == target
    assert page.state.model == target  # nothing was active: the added model is chosen
    assert page.detail.title.text() == "Qwen3-0.6B" and "bfloat16" in page.detail.subtitle.text()
    assert page.detail.memory.text().startswith("≈") and page.detail.delete_button.isVisible()
    assert "is in the library" in page.message.text()
    save(page, "model-added-folder-details")


def test_a_dropped_folder_outside_the_library_has_details_and_can_be_added(qtbot, qwen: Path) -> None:
    w = MainWindow(AppState(), load_all=True)
    qtbot.addWidget(w)
    w.resize(1100, 760)
    w.show()
    page = w.page("model")
    assert isinstance(page, ModelPage)
    assert w.open_path(qwen)  # what drag & drop does
    assert w.state.model == qwen
    assert page.library_stack.currentWidget() is page.library_splitter  # not "your library is empty"
    assert page.model.rowCount() == 1 and page.selected_info().source == OUTSIDE_SOURCE
    assert page.detail.title.text() == "Qwen3-0.6B" and page.detail.memory.text().startswith("≈")
    assert page.detail.add_button.isVisible() and not page.detail.delete_button.isVisible()
    assert w.add_folder_action.text() == "Add Model Folder…"
    save(w, "model-outside-folder-details")
    with qtbot.waitSignal(page.job_finished, timeout=120_000) as blocker:
        page.detail.add_button.click()
    assert blocker.args[0] == "ok"
    assert inspect_model(paths.models_dir() / "Qwen3-0.6B").problem is None


def test_found_on_this_computer_lists_the_stores_and_adds_with_one_click(qtbot, qwen: Path, tiny_model: Path,
                                                                         demo_gguf: Path) -> None:
    hf_cache_entry(Path(os.environ["HF_HUB_CACHE"]), "mlx-community/tiny-llama-mlx", tiny_model)
    modelscope_cache_entry(Path(os.environ["MODELSCOPE_CACHE"]), "Qwen/Qwen3-0.6B", qwen)
    ollama_entry(Path(os.environ["OLLAMA_MODELS"]), "smollm2", "135m", demo_gguf)
    page = make_page(qtbot)
    assert page.scan_job is None  # nothing is scanned until asked
    page.empty.found_button.click()
    qtbot.waitUntil(lambda: page.scan_job is None and bool(page.found.items), timeout=30_000)
    assert page.library_tabs.currentWidget() is page.found
    names = {i.name: i for i in page.found.items}
    assert {"mlx-community/tiny-llama-mlx", "Qwen/Qwen3-0.6B", "smollm2:135m"} <= set(names)
    assert page.library_tabs.tabText(1).endswith("(3)")
    save(page, "model-found-on-this-computer")
    row = page.found.items.index(names["Qwen/Qwen3-0.6B"])
    assert page.found.table.item(row, 2).text() == "safetensors bfloat16"
    with qtbot.waitSignal(page.job_finished, timeout=120_000) as blocker:
        page.found.table.cellWidget(row, 4).click()
    assert blocker.args[0] == "ok" and blocker.args[1] == paths.models_dir() / "Qwen3-0.6B"  # never Qwen3-0___6B
    qtbot.waitUntil(lambda: page.scan_job is None, timeout=30_000)
    again = {i.name: i for i in page.found.items}
    assert again["Qwen/Qwen3-0.6B"].in_library and page.library_tabs.tabText(1).endswith("(2)")
    qwen_row = page.found.items.index(again["Qwen/Qwen3-0.6B"])
    assert page.found.table.cellWidget(qwen_row, 4).text() == "In Library"
    save(page, "model-found-after-add")
    page.library_tabs.setCurrentIndex(0)
    assert page.selected_path() == paths.models_dir() / "Qwen3-0.6B"
    page.resize(1024, 700)
    page.library_tabs.setCurrentWidget(page.found)
    save(page, "model-found-1024x700")


def test_nothing_found_says_where_it_looked(qtbot) -> None:
    page = make_page(qtbot)
    page.library_tabs.setCurrentWidget(page.found)  # the first look starts when the tab is shown
    qtbot.waitUntil(lambda: page.scan_job is None and page.found.rescan_button.isEnabled(), timeout=30_000)
    text = page.found.status.text()
    assert text.startswith("No models found on this computer") and os.environ["HF_HUB_CACHE"] in text
    assert page.library_tabs.tabText(1) == "Found on This Computer"
    save(page, "model-found-nothing")
