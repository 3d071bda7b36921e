"""The Train page and mlx-lm YAML files (issue 21): import notes visible on the page, the "Layers to adapt" choice,
where prompt masking's value came from, full fine-tuning greys out the adapter settings, export → mlx-lm → import."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlxstudio.core.training.config import TrainConfig
from mlxstudio.gui.pages.train_page import TrainPage
from mlxstudio.gui.state import AppState
from mlxstudio.gui.train.config_form import ConfigForm
from mlxstudio.gui.train.layer_keys import ATTENTION_QV, LayerKeysCombo

EXAMPLE = Path(__file__).parent / "data" / "mlx_lm" / "lora_config.yaml"
SHOTS = Path(os.environ.get("MLXSTUDIO_SHOTS", "/tmp/shots"))


@pytest.fixture
def page(qtbot, tiny_model: Path, tmp_path: Path) -> TrainPage:
    data = tmp_path / "data"
    data.mkdir()
    rows = [{"prompt": "今天星期几", "completion": "星期八"}] * 4
    for split in ("train", "valid", "test"):
        (data / f"{split}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    state = AppState()
    p = TrainPage(state)
    qtbot.addWidget(p)
    p.resize(1024, 700)
    p.show()
    state.set_model(tiny_model)
    state.set_dataset(data)
    yield p
    p.shutdown(timeout=5)


def _shot(widget, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(SHOTS / name))


def test_import_notes_are_shown_on_the_page(page: TrainPage, qtbot) -> None:
    form = page.form
    assert not form.import_notes.isVisible()
    notes = form.import_yaml(EXAMPLE)
    assert form.import_notes.isVisible()  # on the page itself, not only in the Log tab
    body = form.import_notes.body.text()
    for key in ("model:", "data:", "adapter_path:", "mask_prompt:"):
        assert key in body, body
    assert any("adapter_path" in n for n in notes)
    combo = form.editors["lora_keys"]
    assert isinstance(combo, LayerKeysCombo) and combo.keys() == ATTENTION_QV
    box = form.editors["mask_prompt"]
    assert not box.isChecked() and "mlx-lm's default" in box.text()  # which value came from where
    cfg = form.config()
    assert (cfg.lora_keys, cfg.optimizer, cfg.test_batches) == (ATTENTION_QV, "adamw", 100)
    _shot(page, "train_import_notes.png")
    # choosing the checkbox yourself: no "where from" any more
    box.setChecked(True)
    assert box.text() == ""
    # the × hides the notes
    form.import_notes.close_button.click()
    assert not form.import_notes.isVisible()


def test_chinese_import_notes_render(page: TrainPage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLXSTUDIO_LANG", "zh_CN")
    page.form.import_yaml(EXAMPLE)
    assert page.form.import_notes.isVisible()
    _shot(page, "train_import_notes_zh.png")


def test_full_fine_tune_greys_out_the_adapter_settings_and_round_trips(qtbot, tmp_path: Path) -> None:
    form = ConfigForm()
    qtbot.addWidget(form)
    form.resize(520, 700)
    form.show()
    method = form.editors["fine_tune_type"]
    method.setCurrentIndex(method.findData("full"))
    assert all(not form.editors[n].isEnabled() for n in ("rank", "scale", "dropout", "lora_keys"))
    assert form.editors["num_layers"].isEnabled()
    _shot(form, "train_form_full.png")
    method.setCurrentIndex(method.findData("lora"))
    assert form.editors["rank"].isEnabled()
    cfg = TrainConfig(lora_keys=["self_attn.k_proj"], rank=4, test=True, mask_prompt=False)
    form.set_config(cfg)
    assert form.editors["lora_keys"].currentText() == "self_attn.k_proj"  # a list of its own: one more item
    out = tmp_path / "out.yaml"
    form.export_yaml(out)
    other = ConfigForm()
    qtbot.addWidget(other)
    other.import_yaml(out)
    assert other.config() == cfg
    assert "every setting applied" in other.import_notes.title.text()


def test_the_example_config_trains_from_the_train_page(qtbot, page: TrainPage) -> None:
    """Imported unchanged, shortened for the test (iterations, sizes), trained by the page's Start button: the adapter
    holds q/v only, and the test loss is in the run's metadata and the run list."""
    from safetensors import safe_open

    from mlxstudio.core.training import runs
    from mlxstudio.gui.train.run_states import FINISHED

    page.form.import_yaml(EXAMPLE)
    page.form.set_config(page.form.config().replace(iters=4, num_layers=2, batch_size=2, steps_per_report=2,
                                                    steps_per_eval=2, save_every=2, val_batches=1,
                                                    max_seq_length=64, learning_rate=1e-3, test=True))
    qtbot.waitUntil(lambda: page.start_button.isEnabled(), timeout=30_000)
    page.start_button.click()
    qtbot.waitUntil(lambda: page.run_state == FINISHED, timeout=120_000)
    run = Path(page.run_dir)
    with safe_open(str(run / "adapters.safetensors"), framework="numpy") as fh:
        layers = {k.rsplit(".", 1)[0].split(".", 3)[-1] for k in fh.keys()}  # noqa: SIM118
    assert layers == {"self_attn.q_proj", "self_attn.v_proj"}
    info = runs.read_run(run)
    assert info.test_loss is not None
    page.runs.refresh()
    model = page.runs.model
    row = model.row_of(run)
    assert model.index(row, 6).data() not in ("", "–")
    _shot(page, "train_example_finished.png")
