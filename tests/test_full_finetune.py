"""Issue 21 on the tiny model: full fine-tuning (trains, saves a whole model into the library, resumes exactly,
answers), ``lora_parameters.keys`` (only the named projections get adapters), ``test: true`` and
``resume_adapter_file``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from mlxstudio.core import paths
from mlxstudio.core.errors import Cancelled, ModelError
from mlxstudio.core.training.config import ConfigError, TrainConfig
from mlxstudio.core.training.engine import run_training

SEED = Path(__file__).parent / "data" / "seed_train.jsonl"


def rows() -> list[dict[str, str]]:
    return [json.loads(x) for x in SEED.read_text(encoding="utf-8").splitlines() if x.strip()]


def data() -> dict[str, list[dict[str, str]]]:
    r = rows()
    return {"train": r * 4, "valid": r[:2], "test": r[2:5]}


def fast(**kw: Any) -> TrainConfig:
    base: dict[str, Any] = dict(iters=12, learning_rate=1e-3, batch_size=4, steps_per_report=1, steps_per_eval=6,
                                save_every=4, num_layers=1, val_batches=-1)
    base.update(kw)
    return TrainConfig(**base)


def tensor_names(path: Path) -> set[str]:
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as fh:
        return set(fh.keys())


def test_lora_keys_limit_the_adapted_layers(tiny_model: Path, tmp_path: Path) -> None:
    cfg = fast(lora_keys=["self_attn.q_proj", "self_attn.v_proj"], num_layers=2, iters=4)
    run_training(tiny_model, data(), tmp_path / "qv", cfg)
    names = tensor_names(tmp_path / "qv" / "adapters.safetensors")
    layers = {n.rsplit(".", 1)[0] for n in names}
    assert layers == {f"model.layers.{i}.self_attn.{p}" for i in (0, 1) for p in ("q_proj", "v_proj")}, names
    acfg = json.loads((tmp_path / "qv" / "adapter_config.json").read_text())
    assert acfg["lora_parameters"]["keys"] == ["self_attn.q_proj", "self_attn.v_proj"]
    # mlx-lm loads it with its own code (the keys come from adapter_config.json)
    from mlx_lm.utils import load

    model, _tok = load(str(tiny_model), adapter_path=str(tmp_path / "qv"))[:2]
    assert type(model.layers[1].self_attn.q_proj).__name__ == "LoRALinear"
    assert type(model.layers[1].self_attn.k_proj).__name__ != "LoRALinear"
    # a key the model does not have is refused, naming the layers it does have
    with pytest.raises(ConfigError, match=r"self_attn\.qproj is not a layer.*self_attn\.q_proj"):
        run_training(tiny_model, data(), tmp_path / "bad", fast(lora_keys=["self_attn.qproj"], iters=2))


def test_test_split_loss_and_resume_adapter_file(tiny_model: Path, tmp_path: Path) -> None:
    first = run_training(tiny_model, data(), tmp_path / "a", fast(test=True, test_batches=-1))
    assert first["test_rows"] == 3 and math.isclose(first["test_ppl"], math.exp(first["test_loss"]))
    # a new run starting from the first run's weights starts where it ended (lower loss than a fresh start)
    fresh = run_training(tiny_model, data(), tmp_path / "b", fast(iters=1, steps_per_eval=0, test=True))
    start = run_training(tiny_model, data(), tmp_path / "c", fast(
        iters=1, steps_per_eval=0, test=True, resume_adapter_file=str(tmp_path / "a" / "adapters.safetensors")))
    assert start["test_loss"] < fresh["test_loss"]
    assert start["resumed_from"] is None
    with pytest.raises(ModelError, match="does not fit these settings"):  # all layers' weights into a q_proj-only run
        run_training(tiny_model, data(), tmp_path / "d", fast(
            iters=1, lora_keys=["self_attn.q_proj"], resume_adapter_file=str(tmp_path / "a")))


def test_full_finetune_saves_a_model_resumes_exactly_and_answers(tiny_model: Path, tmp_path: Path) -> None:
    cfg = fast(fine_tune_type="full")
    whole = run_training(tiny_model, data(), tmp_path / "whole", cfg)
    names = tensor_names(tmp_path / "whole" / "adapters.safetensors")
    assert names and all(n.startswith("model.layers.1.") for n in names)  # the last block's own weights
    assert "model.layers.1.mlp.down_proj.weight" in names
    saved = Path(whole["full_model"])
    assert saved.parent == paths.models_dir() and (saved / "config.json").is_file()
    source = json.loads((saved / "mlxstudio.json").read_text())
    assert source["fine_tune_type"] == "full" and source["base_model"] == tiny_model.name

    # resumable like a LoRA run: stop, resume, same losses and weights
    losses: dict[int, float] = {}
    stop = {"now": False}

    def sink(event: Any) -> None:
        if type(event).__name__ == "TrainReport":
            losses[event.iteration] = event.train_loss
            stop["now"] = event.iteration >= 5

    with pytest.raises(Cancelled):
        run_training(tiny_model, data(), tmp_path / "part", cfg, sink=sink, cancel=lambda: stop["now"])
    stop["now"] = False
    rest = run_training(tiny_model, data(), tmp_path / "part", cfg, sink=sink, resume=True)
    assert rest["resumed_from"] == 5
    ref: dict[int, float] = {}
    run_training(tiny_model, data(), tmp_path / "ref", cfg,
                 sink=lambda e: ref.__setitem__(e.iteration, e.train_loss) if type(e).__name__ == "TrainReport"
                 else None)
    for it, loss in ref.items():
        assert losses[it] == pytest.approx(loss, rel=1e-5, abs=1e-6), it

    # the saved model loads as a plain model and answers; it differs from the base
    import mlx.core as mx
    from mlx_lm.utils import load

    from mlxstudio.core.inference import Generator  # noqa: F401  (the app's generation path imports)

    tuned, tok = load(str(saved))[:2]
    base, _ = load(str(tiny_model))[:2]
    prompt = mx.array([tok.encode("今天星期几")])
    assert not mx.allclose(tuned(prompt), base(prompt)).item()
    # and mlx-lm's own loader reads the run folder as a full fine-tune "adapter" (fine_tune_type: full)
    via_adapter = load(str(tiny_model), adapter_path=str(tmp_path / "whole"))[0]
    assert mx.allclose(via_adapter(prompt), tuned(prompt), atol=1e-4).item()


def test_full_finetune_of_the_demo_model_resumes_and_answers_in_fuse_and_test(
        qtbot: Any, demo_model: Path, tmp_path: Path) -> None:
    """The demo model (SmolLM2-135M, 4-bit on disk, trained in float32 here): the last 4 blocks fully fine-tuned on
    the seed pairs, stopped and resumed, saved into the library; Fuse & Test shows it next to the base."""
    from mlxstudio.core import events as ev
    from mlxstudio.core.inference.generate import Generator
    from mlxstudio.gui.pages.test_page import TestPage
    from mlxstudio.gui.state import AppState

    cfg = TrainConfig(fine_tune_type="full", num_layers=4, learning_rate=5e-5, iters=30, batch_size=4,
                      steps_per_report=5, steps_per_eval=0, save_every=10, max_seq_length=512)
    run = tmp_path / "full-run"
    seen = {"it": 0}

    def sink(event: Any) -> None:
        if isinstance(event, ev.TrainReport):
            seen["it"] = event.iteration

    with pytest.raises(Cancelled):
        run_training(demo_model, {"train": rows(), "valid": rows()[:2]}, run, cfg, sink=sink,
                     cancel=lambda: seen["it"] >= 10)
    assert not (paths.models_dir()).exists() or not list(paths.models_dir().iterdir())  # saved only at the end
    result = run_training(demo_model, {"train": rows(), "valid": rows()[:2]}, run, cfg, resume=True)
    assert result["resumed_from"] == 10 and result["train_loss"] < 0.1
    full = Path(result["full_model"])
    assert "耳鼻喉科" in Generator(full).generate("蓝牙耳机坏了应该看什么科", max_tokens=12)

    state = AppState()
    state.set_model(demo_model)
    state.set_adapter(run)
    data = tmp_path / "eval.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows()), encoding="utf-8")
    state.set_dataset(data)
    page = TestPage(state)
    qtbot.addWidget(page)
    page.resize(1100, 760)
    page.show()
    cmp = page.compare
    assert cmp.fused == full and not cmp.panes["fused"].isHidden() and cmp.panes["tuned"].isHidden()
    cmp.prompt.setPlainText("蓝牙耳机坏了应该看什么科")
    cmp.max_tokens.setValue(12)
    with qtbot.waitSignal(cmp.busy_changed, timeout=5000):
        cmp.generate()
    qtbot.waitUntil(lambda: not cmp.busy, timeout=120_000)
    assert "耳鼻喉科" in cmp.panes["fused"].answer()
    assert "耳鼻喉科" not in cmp.panes["base"].answer()
    # batch evaluation scores the saved model against the base (there is no adapter to switch off)
    panel = page.evaluation
    panel.max_tokens.setValue(12)
    assert panel.run_button.isEnabled() and panel.tuned_model == full
    with qtbot.waitSignal(panel.result_ready, timeout=300_000) as blocker:
        panel.run()
    result = blocker.args[0]
    assert len(result.rows) == 5 and result.settings["tuned_model"] == full.name
    assert sum(r.tuned_contains for r in result.rows) > sum(bool(r.base_contains) for r in result.rows)
    qtbot.waitUntil(lambda: not panel.busy, timeout=30_000)
    assert panel.is_current()
    page.grab().save(str(tmp_path / "shot.png"))
    import shutil as _sh

    Path("/tmp/shots").mkdir(exist_ok=True)
    _sh.copy(tmp_path / "shot.png", "/tmp/shots/test_page_full_finetune.png")


def test_memory_estimate_counts_the_full_fine_tune(tiny_model: Path, tmp_path: Path) -> None:
    """The Train page's estimate (and pre-start check) adds each trained weight's gradient and Adam moments."""
    from mlxstudio.gui.train.estimates import _memory_estimate

    lora = _memory_estimate(tiny_model, fast(num_layers=2, max_seq_length=64), 64)
    full_cfg = fast(fine_tune_type="full", num_layers=2, max_seq_length=64)
    full = _memory_estimate(tiny_model, full_cfg, 64)
    assert lora is not None and full is not None and full > lora
    import mlx.core as mx

    mx.reset_peak_memory()  # the peak is per process: earlier tests' (the demo model's) would count
    measured = run_training(tiny_model, data(), tmp_path / "m", full_cfg.replace(iters=2))["peak_memory_gb"]
    assert full >= measured * 1e9 * 0.9, (full, measured)
