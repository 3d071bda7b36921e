"""The YAML-config and GGUF part of the bad-input corpus (tests/data/bad/yaml, tests/data/bad/gguf — written by
tests/data/make_config_model_corpus.py) through the CLI (`train --config`, `import-gguf`) and the GUI (Train page
settings import, Model page GGUF import): the documented exit code, a `file:line` message where a line exists, no
traceback, nothing written. (The dataset part, tests/data/bad/*.jsonl|csv, is tested in test_cli_data.py.)
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from data.make_config_model_corpus import tiny_gguf

from mlxstudio.cli import main as cli_main
from mlxstudio.core import paths
from mlxstudio.core.training.config import TrainConfig

BAD = Path(__file__).parent / "data" / "bad"
YAML_EXPECTED: dict[str, dict] = json.loads((BAD / "yaml" / "EXPECTED.json").read_text(encoding="utf-8"))
GGUF_EXPECTED: dict[str, dict] = json.loads((BAD / "gguf" / "EXPECTED.json").read_text(encoding="utf-8"))
DATASET_EXPECTED: dict[str, dict] = json.loads((BAD / "EXPECTED.json").read_text(encoding="utf-8"))


def test_corpus_is_complete() -> None:
    for folder, expected in (("yaml", YAML_EXPECTED), ("gguf", GGUF_EXPECTED)):
        on_disk = sorted(p.name for p in (BAD / folder).iterdir() if p.name != "EXPECTED.json")
        assert on_disk == sorted(expected), folder
    assert len(YAML_EXPECTED) >= 30 and len(GGUF_EXPECTED) >= 15
    assert len(DATASET_EXPECTED) + len(YAML_EXPECTED) + len(GGUF_EXPECTED) >= 100


def library_is_empty() -> bool:
    return not any(paths.models_dir().iterdir())


@pytest.mark.parametrize("name", sorted(YAML_EXPECTED))
def test_train_config_file(name: str, tiny_model: Path, seed_data: Path, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    path = BAD / "yaml" / name
    want = YAML_EXPECTED[name]
    saved = tmp_path / "saved.yaml"
    args = ["train", "--config", str(path), "--model", str(tiny_model), "--data", str(seed_data)]
    if want["exit"] == 0:  # unusual but valid: the merged settings are written, no training needed to prove it
        args += ["--save-config", str(saved)]
    t0 = time.monotonic()
    code = cli_main(args)
    elapsed = time.monotonic() - t0
    cap = capsys.readouterr()
    text = cap.out + cap.err
    assert "Traceback" not in text and "internal error" not in text, text
    assert code == want["exit"], text
    assert elapsed < 30, "a hostile file must not make the config reader hang"
    if code == 0:
        assert TrainConfig.from_yaml(saved).iters in (1000, 3)
        return
    where = f"{path}:{want['line']}: " if want["line"] is not None else f"{path}: "
    assert where in cap.err, cap.err
    assert want["message"] in cap.err, cap.err
    assert len(cap.err.strip().splitlines()) == 1 and len(cap.err) < 600, "one short line"
    assert not any(paths.runs_dir().iterdir()), "no run folder for a refused config"
    assert not saved.exists()
    assert not Path("/tmp/pwned").exists()


@pytest.mark.parametrize("name", sorted(GGUF_EXPECTED))
def test_import_gguf_file(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = BAD / "gguf" / name
    want = GGUF_EXPECTED[name]
    out = tmp_path / "out"
    for args in (["import-gguf", str(path)], ["import-gguf", str(path), "--out", str(out)],
                 ["--json", "import-gguf", str(path)]):
        code = cli_main(args)
        cap = capsys.readouterr()
        text = cap.out + cap.err
        assert code == want["exit"] == 2, text
        assert "Traceback" not in text and "internal error" not in text, text
        assert want["message"] in text, text
        assert library_is_empty(), "no model and no hidden staging folder in the library"
        assert not out.exists()
        if "--json" in args:
            failed = [json.loads(line) for line in cap.out.splitlines() if '"Failed"' in line]
            assert failed and want["message"] in failed[-1]["message"]
            assert name in failed[-1]["message"], "the message names the file"
        else:
            errors = [line for line in cap.err.splitlines() if "error:" in line]  # (after a progress bar's \r)
            assert len(errors) == 1 and name in errors[0], cap.err


def test_the_undamaged_corpus_model_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The base every damaged GGUF was made from imports fine: each failure above is the damage, not the base."""
    good = tiny_gguf(tmp_path / "good.gguf")
    assert cli_main(["-q", "import-gguf", str(good), "--out", str(tmp_path / "m")]) == 0, capsys.readouterr()
    from mlx_lm.utils import load

    load(str(tmp_path / "m"))


# -- the same files through the GUI ---------------------------------------------------------------------------------
def test_train_page_settings_import_shows_file_and_line(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from mlxstudio.gui.pages.train_page import TrainPage
    from mlxstudio.gui.state import AppState

    page = TrainPage(AppState())
    qtbot.addWidget(page)
    shown: list[str] = []
    chosen: list[str] = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (chosen[-1], "")))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda _p, _t, text, *a, **k: shown.append(text)))
    try:
        before = page.form.config()
        for name, want in sorted(YAML_EXPECTED.items()):
            if want["exit"] == 0:
                continue
            path = BAD / "yaml" / name
            chosen.append(str(path))
            page._import_dialog()
            assert shown, name
            msg = shown.pop()
            where = f"{path}:{want['line']}: " if want["line"] is not None else f"{path}: "
            assert msg.startswith(where) and want["message"] in msg and "Traceback" not in msg, msg
            assert page.form.config() == before, f"{name}: the form must be unchanged"
    finally:
        page.shutdown(timeout=5)


def test_model_page_gguf_import_shows_one_clear_sentence(qtbot) -> None:
    from mlxstudio.gui.pages.model_page import ModelPage
    from mlxstudio.gui.state import AppState

    page = ModelPage(AppState())
    qtbot.addWidget(page)
    for name, want in sorted(GGUF_EXPECTED.items()):
        with qtbot.waitSignal(page.job_finished, timeout=60_000) as blocker:
            assert page.import_gguf(BAD / "gguf" / name)
        assert blocker.args[0] == "failed", name
        msg = page.message.text()
        assert name in msg and want["message"] in msg and "Traceback" not in msg, msg
        assert page.message.kind == "error"
        assert library_is_empty(), name
