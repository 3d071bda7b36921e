"""Opening a 100,000-row dataset on the Data page (issue 5 target: under 2 s), and scrolling it.

Writes a 100k-row JSONL (and CSV) file of Chinese/English pairs, then measures, in one run:
- the engine alone: ``load_dataset`` + ``validate_dataset`` (the baseline);
- the page: ``DataPage.open_path`` until the grid shows the rows and the problems list is filled;
- scrolling: 200 jumps through the grid, each repainted (ms per repaint);
- token counting of all rows with the tiny test tokenizer (off the GUI thread; how long until every count is in).

    .venv/bin/python benchmarks/dataset_open.py [--rows 100000] [--no-tokens]

Prints seconds and the ratio page/engine. Offscreen by default (QT_QPA_PLATFORM=offscreen).
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


def make_rows(n: int) -> list[dict[str, str]]:
    return [{"prompt": f"第 {i} 个问题：what is {i} times 7?", "completion": f"答案是 {i * 7}。The answer is {i * 7}."}
            for i in range(n)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--no-tokens", action="store_true", help="skip the token-count measurement")
    args = ap.parse_args()

    from PySide6.QtWidgets import QApplication, QMainWindow

    from mlxstudio.core.data.dataset import Dataset, load_dataset, save_dataset, validate_dataset
    from mlxstudio.gui.pages.data_page import DataPage
    from mlxstudio.gui.state import AppState

    tmp = Path(tempfile.mkdtemp(prefix="dataset-open-"))
    rows = make_rows(args.rows)
    files = {ext: save_dataset(Dataset("completion", rows), tmp / f"big{ext}") for ext in (".jsonl", ".csv")}
    app = QApplication.instance() or QApplication([])
    for ext, path in files.items():
        t0 = time.perf_counter()
        ds = load_dataset(path)
        validate_dataset(ds)
        engine = time.perf_counter() - t0

        state = AppState()
        win = QMainWindow()
        page = DataPage(state)
        win.setCentralWidget(page)
        win.resize(1024, 700)
        win.show()
        app.processEvents()
        t0 = time.perf_counter()
        page.open_path(path)
        app.processEvents()
        page.table.viewport().repaint()
        opened = time.perf_counter() - t0
        assert page.model.rowCount() == args.rows

        bar = page.table.verticalScrollBar()
        t0 = time.perf_counter()
        for k in range(200):
            bar.setValue(bar.maximum() * k // 199)
            page.table.viewport().repaint()
        scroll_ms = (time.perf_counter() - t0) / 200 * 1000
        print(f"{ext:6} {args.rows} rows: engine load+validate {engine:.2f} s · page open {opened:.2f} s "
              f"(×{opened / engine:.1f} of the engine) · {scroll_ms:.1f} ms per scroll repaint")

        if ext == ".jsonl" and not args.no_tokens:
            from tiny_model import build_tokenizer

            tok_dir = tmp / "tok"
            tok_dir.mkdir(exist_ok=True)
            build_tokenizer(tok_dir)
            t0 = time.perf_counter()
            state.set_model(tok_dir)
            while not page.histogram.lengths or len(page.histogram.lengths) < args.rows:
                app.processEvents()
                time.sleep(0.02)
                if time.perf_counter() - t0 > 900:
                    print("token counting did not finish in 15 minutes")
                    break
            took = time.perf_counter() - t0
            print(f"       token counts of {args.rows} rows (tiny tokenizer, background thread): {took:.1f} s "
                  f"({args.rows / took:.0f} rows/s)")
        page.shutdown()
        win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
