"""GUI event-loop lateness while a training worker runs (issue 9 target: p99 stall under 50 ms).

A 10 ms QTimer (PreciseTimer) runs in the GUI thread; each tick records how late it fired compared with the previous
tick + 10 ms. First an idle baseline with the Train page shown, then the same while the page trains a model in its
worker process (so report signals, plot redraws and the progress strip are part of the measurement).

    .venv/bin/python benchmarks/gui_latency.py                 # demo model (imported into a temp library)
    .venv/bin/python benchmarks/gui_latency.py --model tiny    # the tiny synthetic test model (fast)

Prints p50/p99/max lateness idle vs training and the ratios. Offscreen by default (QT_QPA_PLATFORM=offscreen).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MLXSTUDIO_HOME", tempfile.mkdtemp(prefix="mlxstudio-bench-"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

INTERVAL_MS = 10


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(q / 100 * (len(s) - 1))))
    return s[k]


CPU: dict[str, float] = {}
"""Phase name → CPU time of the GUI thread per wall second (how busy the window itself is, independent of load)."""


def measure(app, seconds: float, until=None, name: str = "") -> list[float]:  # type: ignore[no-untyped-def]
    """Lateness (ms) of each tick of a 10 ms timer over ``seconds`` (or until ``until()`` is true)."""
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer

    late: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def tick() -> None:
        now = clock.nsecsElapsed()
        late.append(max(0.0, (now - last[0]) / 1e6 - INTERVAL_MS))
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(INTERVAL_MS)
    timer.timeout.connect(tick)
    timer.start()
    t0, c0 = time.monotonic(), time.thread_time()
    end = t0 + seconds
    idle = 0.0
    while time.monotonic() < end and not (until and until()):
        app.processEvents()
        s0 = time.thread_time()
        time.sleep(0.0005)  # the loop itself must not be the bottleneck; Qt dispatches the timer in processEvents
        idle += time.thread_time() - s0
    timer.stop()
    if name:
        CPU[name] = (time.thread_time() - c0 - idle) / max(time.monotonic() - t0, 1e-9)
    return late


def write_dataset(folder: Path, rows: int = 40) -> Path:
    """A small chat-free completion dataset (the seed pairs repeated with variations)."""
    import json

    seed = [json.loads(line) for line in (ROOT / "tests" / "data" / "seed_train.jsonl").read_text().splitlines()
            if line.strip()]
    folder.mkdir(parents=True, exist_ok=True)
    out = [dict(seed[i % len(seed)], prompt=f"{seed[i % len(seed)]['prompt']} ({i})") for i in range(rows)]
    (folder / "train.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out))
    (folder / "valid.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in seed[:2]))
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("demo", "tiny"), default="demo")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each measurement phase")
    args = parser.parse_args()

    from mlxstudio.core.runtime.blas import preload_blas

    preload_blas()
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from mlxstudio.gui.pages.train_page import TrainPage
    from mlxstudio.gui.state import AppState
    from mlxstudio.gui.train.run_states import RUNNING

    home = Path(os.environ["MLXSTUDIO_HOME"])
    if args.model == "tiny":
        from tiny_model import make_tiny_model

        model = make_tiny_model(home / "models" / "tiny-llama")
        iters = 100_000
    else:
        from mlxstudio.core.models.demo_model import install_demo_model

        model = install_demo_model()
        iters = 10_000
    data = write_dataset(home / "data")

    state = AppState()
    page = TrainPage(state)
    page.resize(1100, 720)
    page.show()
    state.set_model(model)
    state.set_dataset(data)
    cfg = page.form.config().replace(iters=iters, steps_per_report=1, steps_per_eval=50, save_every=100,
                                     val_batches=2, max_seq_length=128)
    page.form.set_config(cfg)
    app.processEvents()

    idle = measure(app, args.seconds, name="idle")
    if not page.start():
        print("could not start training:", page.checks_label.text())
        return 1
    # wait for the first report so start-up (model loading, compile) is not what we measure... then measure both
    t0 = time.monotonic()
    startup = measure(app, 120, until=lambda: page.last_report is not None, name="worker starting")
    first_report = time.monotonic() - t0
    training = measure(app, args.seconds, until=lambda: page.run_state != RUNNING, name="training")
    reports = page.last_report.iteration if page.last_report else 0
    redraws = page.plots.redraws
    page.shutdown()
    app.processEvents()

    def line(name: str, xs: list[float]) -> str:
        return (f"{name:<16} ticks {len(xs):5d}  p50 {percentile(xs, 50):6.2f} ms  p99 {percentile(xs, 99):7.2f} ms"
                f"  max {max(xs, default=float('nan')):7.2f} ms  GUI thread busy {100 * CPU.get(name, 0):4.1f}%")

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"gui_latency — model {args.model} ({Path(model).name}), {os.cpu_count()} cores, load average "
          f"{load:.1f}, Qt platform {os.environ.get('QT_QPA_PLATFORM')}")
    print(line("idle", idle))
    print(line("worker starting", startup) + f"   (first report after {first_report:.1f} s)")
    print(line("training", training) + f"   (iteration {reports}, {redraws} plot redraws)")
    base = max(percentile(idle, 99), 0.01)
    print(f"p99 training / idle: {percentile(training, 99) / base:.1f}x   "
          f"p99 stall during training: {percentile(training, 99):.1f} ms (target < 50 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
