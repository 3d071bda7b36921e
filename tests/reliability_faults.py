"""Fault injection for the reliability tests: run a worker job in a child process that freezes at a chosen point.

``python tests/reliability_faults.py HOOK MARKER SPEC_JSON`` runs ``mlxstudio.core.runtime.worker.main([SPEC_JSON])``
with one hook installed. When the hook point is reached the child writes ``MARKER`` (a file) and sleeps, so the parent
can SIGKILL it exactly there — a real kill of a real process, at a known point of the engine's work:

- ``step:N``        building the batch of iteration N+1 (after the report of iteration N): mid-iteration
- ``ckpt-files:N``  writing checkpoint N: adapter + optimizer state written to the temp folder, no manifest yet
- ``ckpt-rename:N`` checkpoint N complete in its temp folder (manifest written), not yet renamed into place
- ``adapter:N``     the final-adapter copy after checkpoint N: temp file written, not yet renamed over the old one
- ``keep-best``     at the end of a ``keep_best`` run: every checkpoint written, the best adapter not yet copied over
                    the final one
- ``val:N``         in the middle of the N-th validation (N=1 is the one before the first step)

Nothing in the app has a test hook: all of this is monkeypatching inside the child.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mlxstudio.core.training import checkpoint as ckpt
from mlxstudio.core.training.config import TrainConfig
from mlxstudio.core.training.engine import run_training

HERE = Path(__file__).resolve().parent
FREEZE_SECONDS = 120


# -- a small training set-up shared by the reliability tests ---------------------------------------------------
SEED = HERE / "data" / "seed_train.jsonl"
CONFIG = TrainConfig(iters=16, learning_rate=1e-3, batch_size=4, steps_per_report=1, steps_per_eval=8, save_every=4,
                     num_layers=2, val_batches=-1)


def write_data(folder: Path) -> Path:
    """A dataset folder: the five seed pairs four times in train.jsonl, two of them in valid.jsonl."""
    rows = [json.loads(x) for x in SEED.read_text(encoding="utf-8").splitlines() if x.strip()]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows * 4),
                                        encoding="utf-8")
    (folder / "valid.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[:2]),
                                        encoding="utf-8")
    return folder


def metrics(out: Path) -> tuple[dict[int, float], list[int], list[int]]:
    """(train loss by iteration, train iterations in file order, validation iterations in file order)."""
    recs = [json.loads(x) for x in (out / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]
    train = [r for r in recs if "train_loss" in r]
    return ({r["iteration"]: r["train_loss"] for r in train}, [r["iteration"] for r in train],
            [r["iteration"] for r in recs if "val_loss" in r])


class Reference:
    """An uninterrupted run of a config: what every interrupted-and-resumed run must reproduce."""

    def __init__(self, model: Path, data: Path, out: Path, config: TrainConfig) -> None:
        run_training(model, data, out, config)
        self.out, self.config = out, config
        self.losses, _, self.val_its = metrics(out)

    def check(self, out: Path, model: Path) -> None:
        """``out`` (a resumed run) ended exactly like the reference run."""
        from mlxstudio.core.runtime.mlxrt import mx

        losses, train_its, val_its = metrics(out)
        total = max(self.losses)  # config.iters, or where early stopping ended the run
        assert train_its == list(range(1, total + 1)), "each iteration exactly once, in order"
        assert val_its == self.val_its
        for it, loss in self.losses.items():
            assert losses[it] == pytest.approx(loss, rel=1e-5, abs=1e-6), it
        want = mx.load(str(self.out / "adapters.safetensors"))
        got = mx.load(str(out / "adapters.safetensors"))
        assert set(got) == set(want)
        for k in want:
            assert mx.allclose(got[k], want[k], rtol=1e-5, atol=1e-7).item(), k
        leftovers = [p.name for p in out.rglob("*") if p.name.startswith(".")]
        assert not leftovers, f"temp files left behind: {leftovers}"
        assert ckpt.latest_checkpoint(out) == ckpt.checkpoint_dir(out, total)
        from mlx_lm.utils import load

        load(str(model), adapter_path=str(out))


def spec(model: Path, data: Path, out: Path, config: Any, resume: bool = False) -> dict[str, Any]:
    """A worker job spec for training."""
    return {"job": "train", "params": {"model": str(model), "data": str(data), "adapter_path": str(out),
                                       "config": config.to_dict(), "resume": resume}}


# -- fault injection in a child process ------------------------------------------------------------------------
def _freeze(marker: str, what: str) -> None:
    Path(marker).write_text(what, encoding="utf-8")
    time.sleep(FREEZE_SECONDS)
    os._exit(99)  # never reached in the tests: the parent kills us first


def install(hook: str, marker: str) -> None:
    """Install the hook ``kind:N`` (see the module docstring) in this process."""
    import mlxstudio.core  # noqa: F401  (loads the fast BLAS before MLX, as the worker does)

    kind, _, arg = hook.partition(":")
    n = int(arg or 0)
    if kind == "step":
        from mlxstudio.core import events as ev
        from mlxstudio.core.training import engine

        seen = {"report": 0}

        def frozen_at_step(real: Any) -> Any:
            def make(*a: Any, **k: Any) -> Any:
                if seen["report"] >= n:
                    _freeze(marker, f"building the batch of iteration {n + 1}")
                return real(*a, **k)
            return make

        engine.make_batch = frozen_at_step(engine.make_batch)  # padded batches
        engine.make_packed_batch = frozen_at_step(engine.make_packed_batch)  # packed ones (pack_sequences)
        real_report = engine._Trainer._report

        def report(self: Any, event: Any) -> None:
            real_report(self, event)
            if isinstance(event, ev.TrainReport):
                seen["report"] = event.iteration

        engine._Trainer._report = report  # type: ignore[method-assign]
    elif kind == "ckpt-files":
        from mlxstudio.core.training import checkpoint as ckpt

        real_fsync = ckpt._fsync_file

        def fsync_file(path: Path) -> None:
            real_fsync(path)
            if path.name == "optimizer.safetensors" and path.parent.name.startswith(f".{n:07d}."):
                _freeze(marker, f"checkpoint {n}: files written, no manifest")

        ckpt._fsync_file = fsync_file
    elif kind == "ckpt-rename":
        from mlxstudio.core.training import checkpoint as ckpt

        real_replace = os.replace

        def replace(src: Any, dst: Any, *a: Any, **k: Any) -> None:
            if Path(dst).name == f"{n:07d}" and Path(dst).parent.name == ckpt.CHECKPOINTS_DIR:
                _freeze(marker, f"checkpoint {n}: complete in its temp folder, not renamed")
            real_replace(src, dst, *a, **k)

        ckpt.os.replace = replace  # type: ignore[attr-defined]  (the os module: fine in this throwaway process)
    elif kind == "adapter":
        from mlxstudio.core.training import checkpoint as ckpt

        real_replace = os.replace

        def replace(src: Any, dst: Any, *a: Any, **k: Any) -> None:
            if Path(dst).name == "adapters.safetensors" and (Path(dst).parent / "checkpoints" / f"{n:07d}").is_dir():
                _freeze(marker, f"adapter after checkpoint {n}: temp written, not renamed")
            real_replace(src, dst, *a, **k)

        ckpt.os.replace = replace  # type: ignore[attr-defined]
    elif kind == "keep-best":
        from mlxstudio.core.training import checkpoint as ckpt

        real_copy = ckpt.copy_file_atomic

        def copy_file_atomic(src: Path, dst: Path) -> None:
            if src.name == "best_adapters.safetensors":
                _freeze(marker, "keep-best: the best adapter not yet copied over the final one")
            real_copy(src, dst)

        ckpt.copy_file_atomic = copy_file_atomic
    elif kind == "val":
        import mlx_lm.tuner.trainer as trainer

        real_evaluate = trainer.evaluate
        calls = {"n": 0}

        def evaluate(*a: Any, **k: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == n:
                inner = k.get("progress_callback")

                def progress() -> None:
                    if inner is not None:
                        inner()
                    _freeze(marker, f"validation {n}: after its first batch")

                k["progress_callback"] = progress
            return real_evaluate(*a, **k)

        trainer.evaluate = evaluate
    else:
        raise SystemExit(f"unknown hook {hook!r}")


def run_until_hook(hook: str, spec: dict[str, Any], tmp: Path, timeout: float = 120) -> str:
    """Start the job ``spec`` in a child with ``hook``; SIGKILL it when the hook is reached; return what it was doing.

    Fails (AssertionError) if the child ends before reaching the hook or takes longer than ``timeout``.
    """
    marker = tmp / f"marker-{hook.replace(':', '-')}-{time.monotonic_ns()}"
    log = tmp / f"{marker.name}.log"
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), hook, str(marker), json.dumps(spec)],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=HERE.parent)
        try:
            deadline = time.monotonic() + timeout
            while not marker.exists():
                if proc.poll() is not None:
                    raise AssertionError(f"the child ended (exit {proc.returncode}) before the hook {hook}:\n"
                                         + log.read_text(encoding="utf-8")[-3000:])
                if time.monotonic() > deadline:
                    raise AssertionError(f"the hook {hook} was not reached in {timeout} s")
                time.sleep(0.02)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    return marker.read_text(encoding="utf-8")


def main(argv: list[str]) -> int:
    hook, marker, spec = argv
    sys.path.insert(0, str(HERE))
    install(hook, marker)
    from mlxstudio.core.runtime.worker import main as worker_main

    return worker_main([spec])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
