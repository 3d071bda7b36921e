"""The GGUF import dialog: header shown, weight-format choice, import with that format on the Model page (progress in
the busy strip), and an unusable file explained before anything starts."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from gguf_factory import write_any_gguf, write_tiny_gguf
from PySide6.QtWidgets import QFileDialog

from mlxstudio.core import paths
from mlxstudio.core.models.gguf import dequant
from mlxstudio.core.models.gguf.importer import check_gguf
from mlxstudio.gui.model.gguf_options import GGUFImportDialog
from mlxstudio.gui.pages.model_page import ModelPage
from mlxstudio.gui.state import AppState

pytestmark = pytest.mark.usefixtures("no_dangling_jobs")
SHOTS = Path(os.environ.get("MLXSTUDIO_SHOTS_DIR", "/tmp/shots"))


def _save(widget: object, name: str) -> None:
    from PySide6.QtWidgets import QApplication, QWidget

    assert isinstance(widget, QWidget)
    for _ in range(10):
        QApplication.processEvents()
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(SHOTS / f"{name}.png"))


def test_dialog_shows_header_and_formats(qtbot, tmp_path: Path) -> None:
    src = tmp_path / "tiny-Q4_K_M.gguf"
    write_any_gguf(src, "qwen3", ("Q4_K", "Q6_K"))
    dialog = GGUFImportDialog(src, check_gguf(src), gpu=False)
    qtbot.addWidget(dialog)
    dialog.show()
    assert [dialog.combo.itemData(i) for i in range(dialog.combo.count())] == ["auto", "float16", "bfloat16",
                                                                              "q8", "q4"]
    assert "float16" in dialog.combo.itemText(0) and dialog.weight_format == "auto"
    _save(dialog, "gguf-import-dialog")
    dialog.combo.setCurrentIndex(3)
    assert dialog.weight_format == "q8"


def test_page_imports_with_the_chosen_format(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "tiny-Q4_K_M.gguf"
    write_any_gguf(src, "llama", ("Q4_K", "Q6_K"))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(src), ""))

    def exec_choosing_q8(self: GGUFImportDialog) -> int:
        self.combo.setCurrentIndex(self.combo.findData("q8"))
        return int(GGUFImportDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(GGUFImportDialog, "exec", exec_choosing_q8)
    real_iter = dequant.iter_dequantized

    def slow_iter(*args: object, **kwargs: object) -> object:  # a big file's pace, to see the progress
        for item in real_iter(*args, **kwargs):  # type: ignore[arg-type]
            time.sleep(0.12)
            yield item

    monkeypatch.setattr(dequant, "iter_dequantized", slow_iter)
    page = ModelPage(AppState())
    qtbot.addWidget(page)
    page.resize(1000, 650)
    page.show()
    with qtbot.waitSignal(page.job_finished, timeout=120_000) as blocker:
        page.import_gguf_dialog()
        assert page.job is not None
        qtbot.waitUntil(lambda: page.busy.isVisible() and "dequantizing" in page.busy.detail.text(), timeout=5000)
        _save(page, "gguf-importing")
    assert blocker.args[0] == "ok", blocker.args
    target = paths.models_dir() / "tiny-Q4_K_M"
    config = json.loads((target / "config.json").read_text())
    assert config["quantization"]["bits"] == 8
    _save(page, "gguf-imported")


def test_unusable_file_is_explained_before_starting(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "q8k.gguf"
    write_tiny_gguf(src, drop=("blk.0.attn_v.weight",),
                    extra_tensors={"blk.0.attn_v.weight": (np.zeros((32, 292), np.uint8), "Q8_K")})
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(src), ""))
    page = ModelPage(AppState())
    qtbot.addWidget(page)
    page.show()
    page.import_gguf_dialog()
    assert page.job is None
    assert "Q8_K" in page.message.text() and "llama" in page.message.text()
    _save(page, "gguf-unusable")
