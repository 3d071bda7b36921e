"""Reliability of training: SIGKILL at known points (mid-iteration, while writing a checkpoint, while renaming it,
while replacing the adapter, mid-validation, after the final checkpoint but before the final adapter / keep-best copy)
and at random moments; damaged newest checkpoint; then resume.

After every fault the resumed run must end exactly where an uninterrupted run ends: same loss at every iteration,
same adapter weights, each iteration once in metrics.jsonl, no temp files left, and an adapter mlx_lm loads.
(Cancel-then-resume exactness and one kill after a report are tested in test_training*.py; not repeated here.)
"""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pytest
from reliability_faults import CONFIG, Reference, run_until_hook, spec, write_data

from mlxstudio.core import events as ev
from mlxstudio.core.runtime.worker import WorkerProcess
from mlxstudio.core.training import checkpoint as ckpt
from mlxstudio.core.training import runs
from mlxstudio.core.training.engine import run_training


@pytest.fixture(scope="module")
def setup(tiny_model_session: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Reference]:
    root = tmp_path_factory.mktemp("reliability-train")
    data = write_data(root / "data")
    return tiny_model_session, data, Reference(tiny_model_session, data, root / "reference", CONFIG)


# hook → (the newest complete checkpoint after the kill, what must be lying around half-done)
KILLS = {
    "step:10": (8, None),
    "ckpt-files:8": (4, "checkpoints/.0000008.*.tmp"),
    "ckpt-rename:8": (4, "checkpoints/.0000008.*.tmp"),
    "adapter:8": (8, ".adapters.*.tmp.safetensors"),
    "val:2": (4, None),  # the validation of iteration 8 (validation 1 is before the first step)
}


CHAIN_CONFIG = CONFIG.replace(iters=24, save_every=2, steps_per_eval=6)


@pytest.mark.parametrize("hook", list(KILLS))
def test_killed_at_a_known_point_resumes_exactly(hook: str, setup: tuple[Path, Path, Reference],
                                                 tmp_path: Path) -> None:
    model, data, ref = setup
    out = tmp_path / "run"
    run_until_hook(hook, spec(model, data, out, CONFIG), tmp_path)
    last, half = KILLS[hook]
    assert ckpt.latest_checkpoint(out) == ckpt.checkpoint_dir(out, last)
    if half is not None:
        assert list(out.glob(half)), f"the kill did not land mid-write ({half} missing)"
    # what the app shows meanwhile: the run folder reads fine (a torn metrics line is skipped)
    info = runs.read_run(out)
    assert info.last_checkpoint is not None and info.last_checkpoint.iteration == last
    from mlx_lm.utils import load

    load(str(model), adapter_path=str(out))  # the adapter on disk is always a complete one

    result = run_training(model, data, out, CONFIG, resume=True)
    assert result["resumed_from"] == last
    ref.check(out, model)


EARLY_CONFIG = CONFIG.replace(learning_rate=3e-2, steps_per_eval=2, early_stopping_patience=2, keep_best=True)
"""Stops early at iteration 10 of 16 (best validation at 6); checkpoints 4, 8 and 10 (the stop)."""


@pytest.fixture(scope="module")
def early_setup(setup: tuple[Path, Path, Reference], tmp_path_factory: pytest.TempPathFactory) -> Reference:
    model, data, _ = setup
    return Reference(model, data, tmp_path_factory.mktemp("reliability-early") / "reference", EARLY_CONFIG)


@pytest.mark.parametrize("hook,early", [
    ("adapter:16", False),   # the final checkpoint is written, the final adapter is still iteration 12's
    ("adapter:10", True),    # early stopping ended the run at 10: final adapter and best copy missing
    ("keep-best", True),     # everything written but the best adapter not yet copied over the final one
])
def test_killed_after_the_final_checkpoint_resume_finishes_the_run(
        hook: str, early: bool, setup: tuple[Path, Path, Reference], early_setup: Reference,
        tmp_path: Path) -> None:
    """Resume of a run whose newest checkpoint is its end does what the killed run had left: it writes the final
    adapter (and the keep-best copy) and finishes — it neither refuses ("already finished") nor trains further."""
    model, data, ref = setup
    if early:
        ref = early_setup
    cfg = ref.config
    last = max(ref.losses)
    assert last == (10 if early else cfg.iters)  # the early-stopping config really stops early
    out = tmp_path / "run"
    run_until_hook(hook, spec(model, data, out, cfg), tmp_path)
    assert ckpt.latest_checkpoint(out) == ckpt.checkpoint_dir(out, last)
    from mlxstudio.core.runtime.mlxrt import mx

    def same_adapter(a: Path, b: Path) -> bool:
        x, y = mx.load(str(a)), mx.load(str(b))
        return set(x) == set(y) and all(mx.array_equal(x[k], y[k]).item() for k in x)

    assert not same_adapter(out / "adapters.safetensors", ref.out / "adapters.safetensors"), "nothing was missing"

    w = WorkerProcess("train", spec(model, data, out, cfg, resume=True)["params"])
    events = list(w.start().events())
    final = events[-1]
    assert isinstance(final, ev.Finished), final
    assert final.result["resumed_from"] == last and final.result["iterations"] == last
    assert final.result["stopped_early"] == early
    assert not any(isinstance(e, ev.TrainReport) for e in events), "it trained again"
    assert any(isinstance(e, ev.Log) and "nothing left to train" in e.message for e in events)
    ref.check(out, model)
    if early:
        assert same_adapter(out / "best_adapters.safetensors", ref.out / "best_adapters.safetensors")
        assert same_adapter(out / "adapters.safetensors", out / "best_adapters.safetensors")
    # resuming again changes nothing
    before = (out / "adapters.safetensors").read_bytes(), (out / "metrics.jsonl").read_bytes()
    again = run_training(model, data, out, cfg, resume=True)
    assert again["iterations"] == last
    assert ((out / "adapters.safetensors").read_bytes(), (out / "metrics.jsonl").read_bytes()) == before


def test_damaged_newest_checkpoint_is_never_loaded(setup: tuple[Path, Path, Reference], tmp_path: Path) -> None:
    """A checkpoint whose files do not match its manifest (torn by a crash or the disk) is skipped for the older one."""
    model, data, ref = setup
    out = tmp_path / "run"
    run_until_hook("step:10", spec(model, data, out, CONFIG), tmp_path)
    newest = ckpt.checkpoint_dir(out, 8)
    weights = newest / "adapters.safetensors"
    raw = bytearray(weights.read_bytes())
    raw[-5] ^= 0xFF  # same size, one flipped bit pattern near the end (a tensor value)
    weights.write_bytes(bytes(raw))
    assert ckpt.verify_checkpoint(newest) is not None
    events: list[ev.Event] = []
    result = run_training(model, data, out, CONFIG, sink=events.append, resume=True)
    assert result["resumed_from"] == 4
    assert any(isinstance(e, ev.Log) and "resuming at iteration 4" in e.message for e in events)
    ref.check(out, model)


def test_killed_at_random_moments_then_resumed(tiny_model_session: Path, tmp_path: Path) -> None:
    """Three SIGKILLs at random moments (a random iteration plus a random delay: mid-step, report, validation or
    checkpoint), each followed by a restart that resumes from what is on disk; the end equals an uninterrupted run."""
    model, data = tiny_model_session, write_data(tmp_path / "data")
    ref = Reference(model, data, tmp_path / "reference", CHAIN_CONFIG)
    out = tmp_path / "run"
    total = CHAIN_CONFIG.iters
    rng = random.Random(10)
    progress = []
    for _ in range(3):
        last = ckpt.latest_checkpoint(out)
        start = int(last.name) if last else 0
        if start > total - 5:
            break
        target, delay = rng.randint(start + 1, max(start + 1, (start + total) // 2)), rng.uniform(0.0, 0.08)
        w = WorkerProcess("train", spec(model, data, out, CHAIN_CONFIG, last is not None)["params"]).start()
        killer: threading.Timer | None = None
        final = None
        for e in w.events():
            if isinstance(e, ev.TrainReport) and e.iteration >= target and killer is None:
                killer = threading.Timer(delay, w.kill)
                killer.start()
            final = e
        if killer is not None:
            killer.cancel()
        last = ckpt.latest_checkpoint(out)
        progress.append((target, round(delay, 3), w.returncode, last.name if last else None))
        if isinstance(final, ev.Finished):  # a fast machine finished within the delay: all is written
            break
        assert isinstance(final, ev.Failed) and "SIGKILL" in final.message, progress
    last = ckpt.latest_checkpoint(out)
    if last is None or int(last.name) < total:  # (killed after the last checkpoint: the run is complete)
        run_training(model, data, out, CHAIN_CONFIG, resume=last is not None)
    ref.check(out, model)
    assert sum(1 for p in progress if p[2] == -9) >= 1, progress
