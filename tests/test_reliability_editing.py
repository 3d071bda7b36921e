"""The Data page's autosave under SIGKILL: the recovery file is always a complete earlier autosave — never torn, never
missing once written — the person's own file is untouched, and killed writes leave no temp files piling up.

(The Data page killed during edits and restored is tested in test_gui_data_page.py; this kills the autosave write
itself, many times, at random moments.)
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from mlxstudio.core.data.recovery import read_recovery, recovery_path, write_recovery

AUTOSAVER = """
import sys
from pathlib import Path
from mlxstudio.core.data.dataset import load_dataset
from mlxstudio.core.data.recovery import write_recovery
ds = load_dataset(Path(sys.argv[1]))
i = 0
while True:  # an editor that autosaves as fast as it can: most of its time is spent inside write_recovery
    i += 1
    ds.set_cell(0, "completion", f"edit {i}")
    write_recovery(ds)
    if i == 1:
        print("READY", flush=True)
"""


def test_recovery_file_survives_kills_during_autosave(tmp_path: Path) -> None:
    src = tmp_path / "pairs.jsonl"
    big = "很长的回答 " * 2000  # ~20 KB a row: a write takes long enough to be hit
    src.write_text("".join(json.dumps({"prompt": f"q{i}", "completion": big}, ensure_ascii=False) + "\n"
                           for i in range(60)), encoding="utf-8")
    original = src.read_bytes()
    rng = random.Random(4)
    edits = []
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", AUTOSAVER, str(src)], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "READY"
            time.sleep(rng.uniform(0.05, 0.4))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        rec = read_recovery()
        assert rec is not None, "a kill mid-autosave must leave the previous autosave readable"
        rows = rec.dataset.rows
        assert len(rows) == 60 and rows[1]["completion"] == big and rows[0]["completion"].startswith("edit ")
        edits.append(int(rows[0]["completion"].split()[1]))
        assert src.read_bytes() == original, "the person's file is untouched until they save"
    assert max(edits) > 1, edits
    leftovers = [p.name for p in recovery_path().parent.iterdir() if p != recovery_path()]
    assert len(leftovers) <= 1, f"temp files of killed autosaves pile up: {leftovers}"


def test_a_new_autosave_clears_temp_files_of_killed_ones(tmp_path: Path) -> None:
    from mlxstudio.core.data.dataset import Dataset

    folder = recovery_path().parent
    for n in range(3):  # what three killed autosaves leave behind
        (folder / f".{recovery_path().name}.dead{n}.tmp").write_text("{half", encoding="utf-8")
    write_recovery(Dataset("text", [{"text": "a"}]))
    assert [p.name for p in folder.iterdir()] == [recovery_path().name]
