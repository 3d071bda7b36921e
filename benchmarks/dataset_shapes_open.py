"""Opening 100,000 rows in the shapes people bring (issue 17 target: Alpaca under 3 s), beside our own JSONL.

Writes the same 100k Chinese/English question–answer pairs as (a) our prompt/completion JSONL — the baseline —,
(b) an Alpaca JSON array (``identity.json``'s shape, pretty-printed), (c) Alpaca JSONL, (d) ShareGPT JSON and
(e) Alpaca Parquet, then measures in one run, for each: the engine (``load_dataset`` + ``validate_dataset``) and the
Data page (``DataPage.open_path`` until the grid shows the rows and the problems list is filled).

    .venv/bin/python benchmarks/dataset_shapes_open.py [--rows 100000] [--no-page]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MLXSTUDIO_HOME", tempfile.mkdtemp(prefix="mlxstudio-bench-"))

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def pairs(n: int) -> list[tuple[str, str]]:
    return [(f"第 {i} 个问题：what is {i} times 7?", f"答案是 {i * 7}。The answer is {i * 7}.") for i in range(n)]


def write_files(tmp: Path, n: int) -> dict[str, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    qa = pairs(n)
    alpaca = [{"instruction": q, "input": "", "output": a} for q, a in qa]
    files = {
        "our JSONL (baseline)": tmp / "pairs.jsonl",
        "Alpaca .json array": tmp / "alpaca.json",
        "Alpaca JSONL": tmp / "alpaca.jsonl",
        "ShareGPT .json": tmp / "sharegpt.json",
        "Alpaca Parquet": tmp / "alpaca.parquet",
    }
    files["our JSONL (baseline)"].write_text(
        "".join(json.dumps({"prompt": q, "completion": a}, ensure_ascii=False) + "\n" for q, a in qa), "utf-8")
    files["Alpaca .json array"].write_text(json.dumps(alpaca, ensure_ascii=False, indent=2), "utf-8")
    files["Alpaca JSONL"].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in alpaca), "utf-8")
    files["ShareGPT .json"].write_text(json.dumps(
        [{"conversations": [{"from": "human", "value": q}, {"from": "gpt", "value": a}]} for q, a in qa],
        ensure_ascii=False, indent=2), "utf-8")
    pq.write_table(pa.Table.from_pylist(alpaca), files["Alpaca Parquet"])
    return files


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--no-page", action="store_true", help="measure the engine only")
    args = ap.parse_args()

    from mlxstudio.core.data import load_dataset, validate_dataset

    files = write_files(Path(tempfile.mkdtemp(prefix="dataset-shapes-")), args.rows)
    page_open = None
    if not args.no_page:
        from PySide6.QtWidgets import QApplication, QMainWindow

        from mlxstudio.gui.collector import install
        from mlxstudio.gui.pages.data_page import DataPage
        from mlxstudio.gui.state import AppState

        app = QApplication.instance() or QApplication([])
        install(app)  # the app's garbage-collection policy

        def page_open(path: Path) -> float:
            win = QMainWindow()
            page = DataPage(AppState())
            win.setCentralWidget(page)
            win.resize(1024, 700)
            win.show()
            app.processEvents()
            t0 = time.perf_counter()
            page.open_path(path)
            app.processEvents()
            page.table.viewport().repaint()
            took = time.perf_counter() - t0
            assert page.model.rowCount() == args.rows
            page.shutdown()
            win.close()
            return took

    base = None
    for label, path in files.items():
        t0 = time.perf_counter()
        ds = load_dataset(path)
        validate_dataset(ds)
        engine = time.perf_counter() - t0
        base = base or engine
        what = ds.conversion.summary() if ds.conversion else f"{ds.format}, no conversion"
        page = f" · page open {page_open(path):.2f} s" if page_open else ""
        print(f"{label:22} {path.stat().st_size / 1e6:6.1f} MB: engine {engine:.2f} s (×{engine / base:.2f} of "
              f"the baseline){page} — {what}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
