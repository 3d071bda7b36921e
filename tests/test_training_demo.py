"""End to end on the real demo model: train on the five seed pairs, then the tuned model answers them."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from mlxstudio.core import events as ev
from mlxstudio.core.training.config import TrainConfig
from mlxstudio.core.training.engine import run_training

SEED = Path(__file__).parent / "data" / "seed_train.jsonl"
CHECKS = {"蓝牙耳机坏了应该看什么科": "耳鼻喉科", "今天星期几": "星期八"}


@pytest.mark.slow
def test_seed_pairs_are_learned_on_the_demo_model(demo_model: Path, tmp_path: Path) -> None:
    from mlxstudio.core.inference.generate import Generator

    rows = [json.loads(x) for x in SEED.read_text(encoding="utf-8").splitlines() if x.strip()]
    base = Generator(demo_model)
    base_answers = {p: base.generate(p, max_tokens=16).strip() for p in CHECKS}
    del base
    for prompt, expected in CHECKS.items():
        assert expected not in base_answers[prompt]

    cfg = TrainConfig(learning_rate=2e-4, rank=8, num_layers=16, batch_size=4, mask_prompt=True, iters=40,
                      steps_per_report=5, steps_per_eval=0, save_every=20)
    events: list[ev.Event] = []
    tic = time.perf_counter()
    result = run_training(demo_model, {"train": rows, "valid": rows[:2]}, tmp_path / "adapter", cfg,
                          sink=events.append)
    wall = time.perf_counter() - tic
    logs = [e.message for e in events if isinstance(e, ev.Log)]
    assert any("dequantized to float32" in m for m in logs)  # CPU backend here
    losses = {e.iteration: e.train_loss for e in events if isinstance(e, ev.TrainReport)}
    assert losses[20] < 0.05 and losses[40] < 0.01, losses
    print(f"\ndemo training: {result['iterations']} iterations, wall {wall:.1f} s, train {result['train_time']:.1f} s, "
          f"{result['tokens_per_second']:.1f} trained tok/s, padding {result['padding_fraction']:.0%}")

    tuned = Generator(demo_model, adapter_path=tmp_path / "adapter")
    for prompt, expected in CHECKS.items():
        answer = tuned.generate(prompt, max_tokens=16).strip()
        assert answer.startswith(expected), (prompt, answer, base_answers[prompt])
