"""How the CLI shows events: progress bars (tqdm) on a terminal, JSON lines with ``--json``, nothing with ``--quiet``.

Results go to stdout; progress, logs and errors to stderr, so `generate`'s stdout is the completion only.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from tqdm import tqdm

from mlxstudio.core import events as ev
from mlxstudio.core.i18n import N_, _

_LEVELS = {"warning": N_("warning"), "error": N_("error")}
_JOBS = {"download": N_("download"), "import": N_("import"), "convert": N_("convert"), "export": N_("export"),
         "generate": N_("generate"), "fuse": N_("fuse"), "evaluate": N_("evaluate"), "add-model": N_("add-model"),
         "tokenize": N_("tokenize"), "prepare": N_("prepare"), "demo": N_("demo")}
"""A job's name on its progress bar."""
"""A log line's level as its prefix says it (``info`` lines have none)."""


class Output:
    """Receives engine events (use :meth:`sink`) and prints them the way the user asked."""

    def __init__(self, quiet: bool = False, json_mode: bool = False) -> None:
        self.quiet = quiet
        self.json_mode = json_mode
        self._bars: dict[str, tqdm] = {}

    # -- events --------------------------------------------------------------------------------------------
    def sink(self, event: ev.Event) -> None:
        if self.json_mode:
            print(ev.to_json(event), file=sys.stdout, flush=True)
            return
        if self.quiet and not isinstance(event, ev.Failed):
            return
        if isinstance(event, ev.Progress):
            self._progress(event.job, event.done, event.total, event.unit, event.message)
        elif isinstance(event, ev.DownloadProgress):
            self._progress("download", event.done, event.total, "B", event.file)
        elif isinstance(event, ev.TrainReport):
            self._close_bars()
            total = f"/{event.total_iterations}" if event.total_iterations else ""
            self.info(_("iter {iteration}{total}  loss {train_loss:.3f}  lr {learning_rate:.2e}  "
                        "{tokens_per_second:.0f} tok/s  peak {peak_memory:.2f} GB").format(
                            iteration=event.iteration, total=total, train_loss=event.train_loss,
                            learning_rate=event.learning_rate, tokens_per_second=event.tokens_per_second,
                            peak_memory=event.peak_memory))
        elif isinstance(event, ev.ValReport):
            self.info(_("iter {iteration}  val loss {val_loss:.3f}  ({val_time:.1f} s)").format(
                iteration=event.iteration, val_loss=event.val_loss, val_time=event.val_time))
        elif isinstance(event, ev.CheckpointSaved):
            self.info(_("iter {iteration}  checkpoint saved: {path}").format(
                iteration=event.iteration, path=event.path))
        elif isinstance(event, ev.Log):
            self.info(event.message if event.level == "info" else f"{_(_LEVELS.get(event.level, event.level))}: "
                                                                  f"{event.message}")
        elif isinstance(event, ev.Finished):
            self._close_bars()
            if event.message:
                self.info(event.message)
        elif isinstance(event, ev.Cancelled):
            self._close_bars()
            self.info(_("cancelled. {message}").format(message=event.message).strip())
        elif isinstance(event, ev.Failed):
            self._close_bars()
            self.error(event.message)

    def _progress(self, job: str, done: float, total: float | None, unit: str, message: str) -> None:
        bar = self._bars.get(job)
        if bar is None:
            scale = unit == "B"
            bar = tqdm(total=total, desc=_(_JOBS.get(job, job)), unit=unit or "it", unit_scale=scale,
                       unit_divisor=1024 if scale else 1000,
                       file=sys.stderr, leave=False, dynamic_ncols=True)
            self._bars[job] = bar
        if total is not None and bar.total != total:
            bar.total = total
        bar.n = done
        if message:
            bar.set_postfix_str(message[-40:], refresh=False)
        bar.refresh()

    def _close_bars(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()

    # -- plain output ---------------------------------------------------------------------------------------
    def result(self, text: str = "", data: Any = None) -> None:
        """A command's result: text on stdout (or ``data`` as one JSON line with ``--json``)."""
        if self.json_mode:
            print(json.dumps({"event": "Result", "data": data if data is not None else text},
                             ensure_ascii=False), flush=True)
        else:
            print(text, flush=True)

    def info(self, text: str) -> None:
        if not self.quiet and not self.json_mode:
            tqdm.write(text, file=sys.stderr)

    def error(self, text: str) -> None:
        self._close_bars()
        if self.json_mode:
            print(ev.to_json(ev.Failed(job="cli", message=text)), flush=True)
        else:
            print(_("error: {message}").format(message=text), file=sys.stderr, flush=True)

    def close(self) -> None:
        self._close_bars()
