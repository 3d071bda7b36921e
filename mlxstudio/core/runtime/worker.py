"""Run one long job (training, fuse, generation…) in a child process that streams its events as JSON lines.

Why a process: MLX work is bound to one thread, a Metal out-of-memory or GPU-watchdog abort kills the whole process
(C++ terminate, not a Python exception), and a CPU-bound job must not stall the window. So the GUI starts a worker:

    python -m mlxstudio.core.runtime.worker [--cancel-on-eof] ['{"job": "train", "params": {...}}']

The job spec is the first argument, or else the first line of stdin. Events (:mod:`mlxstudio.core.events`) go to
stdout, one JSON line each, ending with exactly one ``Finished``, ``Failed`` or ``Cancelled``. Everything else a
library prints (mlx-lm's tables, tqdm bars, C-level output) is redirected to stderr so stdout stays clean.
A line ``cancel`` on stdin, or SIGINT, asks the job to stop gracefully; with ``--cancel-on-eof`` a closed stdin
(the parent died) does too. Exit codes follow the CLI: 0 ok, 2 user-fixable error, 3 internal error, 130 cancelled.

A job is a function ``f(params: dict, sink, cancel: Callable[[], bool]) -> dict`` named in :data:`JOBS`. It emits
progress events, returns its result (JSON-able) on success and raises ``errors.Cancelled`` / ``errors.UserError``
otherwise; :func:`execute` turns that into the final event, the same way in-process (CLI) and in the worker.

:class:`WorkerProcess` is the Qt-free client (the GUI wraps it in a QThread).
"""

from __future__ import annotations

import collections
import contextlib
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from mlxstudio.core import errors
from mlxstudio.core import events as ev
from mlxstudio.core.i18n import _

JOBS: dict[str, str] = {
    "train": "mlxstudio.core.training.engine:train_job",
    "selftest": "mlxstudio.core.runtime.worker:selftest_job",
    "generate": "mlxstudio.core.inference.generate:generate_job",
    "fuse": "mlxstudio.core.inference.fuse:fuse_job",
    "evaluate": "mlxstudio.core.inference.evaluate:evaluate_job",
    "export": "mlxstudio.core.inference.export:export_job",
    "demo": "mlxstudio.core.demo:demo_job",
    "import-gguf": "mlxstudio.core.models.gguf.importer:import_job",
    "demo-model": "mlxstudio.core.models.demo_model:demo_model_job",
}
"""Job name → ``"module:function"``. Register a job by adding one line here."""

EXIT_OK, EXIT_USER, EXIT_INTERNAL, EXIT_CANCELLED = 0, 2, 3, 130

JobFunction = Callable[[dict[str, Any], ev.Sink, Callable[[], bool]], dict[str, Any]]


def worker_command() -> list[str]:
    """The command that starts a worker process (the one place to adapt for a frozen .app)."""
    if getattr(sys, "frozen", False):  # a bundled .app re-runs its own launcher as the worker (see core/bundle.py)
        from mlxstudio.core.runtime.bundle import frozen_worker_command

        return frozen_worker_command()
    return [sys.executable, "-m", "mlxstudio.core.runtime.worker"]


def resolve_job(name: str) -> JobFunction:
    """The function registered for job ``name`` (raises UserError for an unknown job)."""
    target = JOBS.get(name)
    if target is None:
        raise errors.UserError(_("unknown job {name!r}; known jobs: {join}").format(
            name=name, join=', '.join(sorted(JOBS))))
    module_name, _colon, func_name = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, func_name)


def execute(job: str, params: dict[str, Any], sink: ev.Sink = ev.null_sink,
            cancel: Callable[[], bool] | None = None) -> int:
    """Run job ``job`` in this process; emit its events and exactly one final event; return the exit code.

    Final event: ``Finished(result=...)`` on success, ``Cancelled`` on ``errors.Cancelled``, ``Failed`` on a
    ``UserError`` (its message as-is) or any other exception (one line + traceback in ``detail`` and the log file).
    """
    cancel_fn: Callable[[], bool] = cancel or (lambda: False)
    try:
        func = resolve_job(job)
        result = func(params, sink, cancel_fn) or {}
    except errors.Cancelled as exc:
        sink(ev.Cancelled(job=job, message=str(exc)))
        return EXIT_CANCELLED
    except KeyboardInterrupt:
        sink(ev.Cancelled(job=job, message=_("interrupted")))
        return EXIT_CANCELLED
    except errors.UserError as exc:
        sink(ev.Failed(job=job, message=str(exc), detail=traceback.format_exc()))
        return EXIT_USER
    except Exception as exc:
        from mlxstudio.core.logs import log_exception

        detail = traceback.format_exc()
        disk = errors.disk_error(exc)  # a full/read-only disk is the user's to fix, not an internal error
        if disk is not None:
            sink(ev.Failed(job=job, message=str(disk), detail=detail))
            return EXIT_USER
        try:
            log_path = f" (details in {log_exception(exc)})"
        except Exception:  # logging must never hide the real error
            log_path = ""
        sink(ev.Failed(job=job, message=f"internal error: {type(exc).__name__}: {exc}{log_path}", detail=detail))
        return EXIT_INTERNAL
    message = str(result.get("message", "")) if isinstance(result, dict) else ""
    sink(ev.Finished(job=job, message=message, result=_jsonable(result)))
    return EXIT_OK


def _jsonable(value: Any) -> Any:
    """``value`` with paths turned into strings, so the result survives a JSON round-trip unchanged."""
    return json.loads(json.dumps(value, default=str, allow_nan=True))


# -- the worker process side -----------------------------------------------------------------------------------
class _EventWriter:
    """Writes events as JSON lines to the real stdout (a private dup of fd 1), thread-safe."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def __call__(self, event: ev.Event) -> None:
        line = ev.to_json(event)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


def _claim_stdout() -> IO[str]:
    """Keep the real stdout for events only; send fd 1 (print, C-level output, tqdm) to stderr."""
    sys.stdout.flush()
    event_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(event_fd, "w", encoding="utf-8", buffering=1)


def _watch_stdin(stream: IO[str], cancel: threading.Event, cancel_on_eof: bool) -> None:
    for line in stream:
        if line.strip().lower() == "cancel":
            cancel.set()
    if cancel_on_eof:
        cancel.set()


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m mlxstudio.core.runtime.worker``: run one job, stream its events, return the exit
    code."""
    args = list(sys.argv[1:] if argv is None else argv)
    cancel_on_eof = "--cancel-on-eof" in args
    args = [a for a in args if a != "--cancel-on-eof"]
    writer = _EventWriter(_claim_stdout())
    try:
        spec_text = args[0] if args else sys.stdin.readline()
        spec = json.loads(spec_text)
        job = str(spec["job"])
        params = spec.get("params") or {}
        if not isinstance(params, dict):
            raise ValueError("params must be a JSON object")
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        writer(ev.Failed(job="worker", message=_("bad job spec (expected {{\"job\": name, \"params\": {{...}}}}): "
                                                  "{exc}").format(exc=exc)))
        return EXIT_USER
    cancel = threading.Event()
    threading.Thread(target=_watch_stdin, args=(sys.stdin, cancel, cancel_on_eof), daemon=True,
                     name="worker-stdin").start()
    with contextlib.suppress(ValueError):  # not in the main thread (tests calling main() from a thread)
        signal.signal(signal.SIGINT, lambda *_: cancel.set())
    return execute(job, params, writer, cancel.is_set)


# -- the client side -------------------------------------------------------------------------------------------
class WorkerProcess:
    """Start a worker for one job and read its events (Qt-free; use it from a thread).

        w = WorkerProcess("train", {...}); w.start()
        for event in w.events(): ...      # ends after the final event; a crash yields a Failed event

    The worker's stderr (library chatter, tracebacks) goes to a log file (:attr:`stderr_path`); its last lines are put
    into the ``detail`` of the ``Failed`` event of a crashed worker.
    """

    def __init__(self, job: str, params: dict[str, Any], env: dict[str, str] | None = None,
                 cwd: str | Path | None = None) -> None:
        self.job = job
        self.params = params
        self.env = env
        self.cwd = cwd
        self.proc: subprocess.Popen[str] | None = None
        self.stderr_path: Path | None = None
        self._stderr_file: IO[str] | None = None
        self._final: ev.Event | None = None
        self._lock = threading.Lock()

    def start(self) -> WorkerProcess:
        """Start the process and send it the job spec."""
        from mlxstudio.core import paths

        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.stderr_path = paths.logs_dir() / f"worker-{self.job}-{stamp}-{os.getpid()}-{id(self) % 10000}.log"
        self._stderr_file = open(self.stderr_path, "w", encoding="utf-8")  # noqa: SIM115 (closed in _finish)
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        env.setdefault("TOKENIZERS_PARALLELISM", "false")
        spec = json.dumps({"job": self.job, "params": self.params}, ensure_ascii=False, default=str)
        self.proc = subprocess.Popen(
            [*worker_command(), "--cancel-on-eof"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr_file, text=True, encoding="utf-8", env=env, cwd=self.cwd, bufsize=1,
        )
        assert self.proc.stdin is not None
        self.proc.stdin.write(spec + "\n")
        self.proc.stdin.flush()
        return self

    def events(self) -> Iterator[ev.Event]:
        """Yield the worker's events until it exits; always ends with one Finished / Failed / Cancelled."""
        if self.proc is None:
            self.start()
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                event = ev.from_json(line)
            except (ValueError, TypeError):
                event = ev.Log(message=line, level="info")
            if isinstance(event, (ev.Finished, ev.Failed, ev.Cancelled)):
                self._final = event
            yield event
        code = self.proc.wait()
        self._finish()
        if self._final is None:
            yield ev.Failed(job=self.job, message=self._crash_message(code), detail=self.stderr_tail())

    def run(self, sink: ev.Sink = ev.null_sink) -> ev.Event:
        """Start (if needed), pass every event to ``sink`` and return the final event."""
        final: ev.Event | None = None
        for event in self.events():
            sink(event)
            final = event
        assert final is not None
        return final

    def cancel(self) -> None:
        """Ask the job to stop gracefully (it finishes the current step and saves what it has)."""
        proc = self.proc
        if proc is None or proc.poll() is not None or proc.stdin is None:
            return
        with self._lock, contextlib.suppress(OSError, ValueError):
            proc.stdin.write("cancel\n")
            proc.stdin.flush()

    def kill(self) -> None:
        """Stop the process immediately (no checkpoint is written; the last complete one stays valid)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the process to exit; its return code (None if still running after ``timeout``)."""
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    @property
    def returncode(self) -> int | None:
        """The exit code (negative: killed by that signal), or None while running / not started."""
        return None if self.proc is None else self.proc.poll()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stderr_tail(self, lines: int = 40) -> str:
        """The last lines the worker wrote to stderr."""
        if self.stderr_path is None or not self.stderr_path.exists():
            return ""
        with open(self.stderr_path, encoding="utf-8", errors="replace") as fh:
            return "".join(collections.deque(fh, maxlen=lines))

    def _crash_message(self, code: int) -> str:
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            why = " (out of memory?)" if name == "SIGKILL" else ""
            return f"the {self.job} worker was killed by {name}{why}; see {self.stderr_path}"
        return f"the {self.job} worker stopped unexpectedly with exit code {code}; see {self.stderr_path}"

    def _finish(self) -> None:
        if self.proc is not None and self.proc.stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                self.proc.stdin.close()
        if self._stderr_file is not None:
            self._stderr_file.close()
            self._stderr_file = None

    def __enter__(self) -> WorkerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.running:
            self.kill()
            self.wait(10)
        self._finish()


# -- a diagnostic job (used by tests of the worker and of the GUI's worker supervision) --------------------------
def selftest_job(params: dict[str, Any], sink: ev.Sink, cancel: Callable[[], bool]) -> dict[str, Any]:
    """Emit ``steps`` Progress events ``delay`` s apart; ``fail``: "user" | "internal" | "crash" | "print" tests.

    Honours cancel between steps. "crash" kills its own process with SIGKILL at step ``crash_at``.
    """
    steps = int(params.get("steps", 3))
    delay = float(params.get("delay", 0.0))
    fail = params.get("fail")
    for i in range(1, steps + 1):
        if cancel():
            raise errors.Cancelled(_("stopped after {i} of {steps} steps").format(i=i - 1, steps=steps))
        if fail == "print":
            print(f"noise on stdout {i}")  # must not reach the event stream
            os.write(1, b"C-level noise\n")
        if fail == "crash" and i == int(params.get("crash_at", 1)):
            os.kill(os.getpid(), signal.SIGKILL)
        sink(ev.Progress(job="selftest", done=i, total=steps, unit="step"))
        if delay:
            time.sleep(delay)
    if fail == "user":
        raise errors.UserError(_("selftest: a user-fixable problem"))
    if fail == "internal":
        raise RuntimeError("selftest: an internal error")
    return {"steps": steps, "message": f"selftest done ({steps} steps)"}


if __name__ == "__main__":
    sys.exit(main())
