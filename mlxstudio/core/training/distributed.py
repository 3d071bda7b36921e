"""Training on several processes or machines with MLX's own launcher (``mlx.launch``, ring backend).

Two sides:

**Inside a rank** (the engine uses these): :func:`group` is ``mx.distributed.init()`` (a group of one when the
process was not launched by ``mlx.launch``). Every rank loads the same model and data, takes its slice of every
global batch (:func:`shard`, rows ``rank::size`` as mlx-lm's ``iterate_batches`` does — the batch size must be
divisible by the number of ranks, :func:`check_batch_size`), and :func:`average_step` combines the ranks' losses and
gradients weighted by their trained-token counts, which is exactly the gradient of the whole global batch (mlx-lm
averages the per-rank means instead; with unequal token counts that is a slightly different loss). Only rank 0
writes files and reports events; :func:`agree` makes a stop request of rank 0 a decision of the whole group at a
step boundary; :func:`broadcast_checkpoint` gives every rank rank 0's checkpoint on resume (the other machines need
no copy of the adapter folder). The batch order and RNG are functions of (seed, step), identical on every rank.

**Launching** (the CLI and the Train page): :class:`GroupProcess` starts ``mlx.launch --backend ring`` with one
rank process per host entry (``python -m mlxstudio.core.training.distributed '<job spec>'``, see
:func:`rank_main`); rank 0's events come back as JSON lines on stdout, exactly like a single
:class:`~mlxstudio.core.runtime.worker.WorkerProcess` (it is a drop-in replacement). ``cancel()`` sends ``cancel``
to the launcher's stdin, which broadcasts it to every rank; rank 0 stops after the current step, saves, and the group
ends. A rank that dies (crash, kill, lost machine) makes the launcher stop the others; the last complete
checkpoint stays valid for ``resume``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

from mlxstudio.core import events as ev
from mlxstudio.core.errors import UserError
from mlxstudio.core.i18n import _
from mlxstudio.core.runtime.worker import EXIT_CANCELLED, EXIT_OK, EXIT_USER, WorkerProcess
from mlxstudio.core.training.hosts import Host, mlx_hostfile, world_size

BACKEND = "ring"
LOST_PEER = "lost the connection to another rank"
DEFAULT_PORT = 32323
"""First TCP port of the ring between machines (one port per rank); local runs pick free ports instead."""


class BatchSizeError(UserError):
    """The batch size cannot be split evenly across the ranks."""


# -- inside a rank -----------------------------------------------------------------------------------------------
def group() -> Any:
    """The distributed group of this process (``mx.distributed.init()``; size 1 when not launched)."""
    from mlxstudio.core.runtime.mlxrt import mx

    return mx.distributed.init()


def rank_and_size() -> tuple[int, int]:
    """(rank, number of ranks) of this process."""
    g = group()
    return int(g.rank()), int(g.size())


def check_batch_size(batch_size: int, size: int) -> None:
    """Raise :class:`BatchSizeError` unless every rank gets the same number of rows of each batch."""
    if size > 1 and batch_size % size:
        lower = batch_size - batch_size % size
        options = " or ".join(str(x) for x in (lower, lower + size) if x > 0)
        raise BatchSizeError(_("the batch size {batch_size} cannot be split across {size} processes (each takes an "
                               "equal share of every batch) — use a multiple of {size}, e.g. {options}").format(
                                   batch_size=batch_size, size=size, options=options))


def shard(indices: Sequence[int], rank: int, size: int) -> list[int]:
    """This rank's rows of a global batch: every ``size``-th row from ``rank`` (balanced in a length-sorted batch)."""
    return list(indices[rank::size])


def agree(flag: bool, g: Any = None) -> bool:
    """Whether rank 0 asked to stop (every rank gets the same answer; a collective, call it on every rank)."""
    from mlxstudio.core.runtime.mlxrt import mx

    g = g or group()
    if g.size() == 1:
        return flag
    mine = 1 if (flag and g.rank() == 0) else 0
    total = cast(int, mx.distributed.all_sum(mx.array(mine, dtype=mx.int32), group=g, stream=mx.cpu).item())
    return bool(total > 0)


def average_step(lvalue: Any, toks: Any, grad: Any, g: Any = None) -> tuple[Any, Any, Any]:
    """The group's loss, token count and gradient of one step: every rank's weighted by its trained tokens.

    ``lvalue``/``grad`` are per-token means over this rank's rows, so ``Σ_r grad_r·toks_r / Σ_r toks_r`` is the
    gradient of the loss over the whole global batch — the same number a single process computes on all its rows.
    Usable inside ``mx.compile`` (mlx-lm's compiled step also all-reduces there).
    """
    from mlx.nn.utils import average_gradients
    from mlx.utils import tree_map

    from mlxstudio.core.runtime.mlxrt import mx

    g = g or group()
    n = g.size()
    if n == 1:
        return lvalue, toks, grad
    t = toks.astype(mx.float32)
    both = mx.distributed.all_sum(mx.stack([t, lvalue.astype(mx.float32) * t]), group=g)
    total = both[0]
    scale = t * n / total  # average_gradients divides the sum by n
    grad = average_gradients(tree_map(lambda x: x * scale.astype(x.dtype), grad), group=g)
    return (both[1] / total).astype(lvalue.dtype), total.astype(toks.dtype), grad


def broadcast_json(obj: Any, g: Any = None) -> Any:
    """Rank 0's JSON-able ``obj`` on every rank (others pass anything, e.g. None)."""
    from mlxstudio.core.runtime.mlxrt import mx

    g = g or group()
    if g.size() == 1:
        return obj
    data = json.dumps(obj, allow_nan=True).encode() if g.rank() == 0 else b""
    n = cast(int, mx.distributed.all_sum(mx.array(len(data), dtype=mx.int32), group=g, stream=mx.cpu).item())
    import numpy as np

    buf = np.frombuffer(data, np.uint8) if g.rank() == 0 else np.zeros(n, np.uint8)
    got = mx.distributed.all_sum(mx.array(buf), group=g, stream=mx.cpu)
    return json.loads(bytes(np.array(got).tobytes()).decode())


def broadcast_arrays(flat: dict[str, Any] | None, g: Any = None) -> dict[str, Any]:
    """Rank 0's named arrays on every rank (one all-reduce per dtype; the others contribute zeros)."""
    from mlxstudio.core.runtime.mlxrt import mx

    g = g or group()
    if g.size() == 1:
        return dict(flat or {})
    own = flat or {}
    names = sorted(own) if g.rank() == 0 else []
    manifest = broadcast_json([[k, list(own[k].shape), str(own[k].dtype)] for k in names] if names else [], g)
    by_dtype: dict[str, list[tuple[str, list[int]]]] = {}
    for k, shape, dt in manifest:
        by_dtype.setdefault(dt, []).append((k, shape))
    out: dict[str, Any] = {}
    for dt, entries in by_dtype.items():
        dtype = getattr(mx, dt.split(".")[-1])
        if g.rank() == 0:
            assert flat is not None
            buf = mx.concatenate([flat[k].reshape(-1).astype(dtype) for k, _ in entries])
        else:
            buf = mx.zeros((sum(_numel(s) for _, s in entries),), dtype=dtype)
        buf = mx.distributed.all_sum(buf, group=g, stream=mx.cpu)
        pos = 0
        for k, shape in entries:
            n = _numel(shape)
            out[k] = buf[pos:pos + n].reshape(shape)
            pos += n
        mx.eval(*(out[k] for k, _ in entries))
    return out


def _numel(shape: Sequence[int]) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def broadcast_checkpoint(loaded: tuple[dict[str, Any], dict[str, Any], dict[str, Any]] | None,
                         g: Any = None) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Rank 0's loaded checkpoint ``(adapters, optimizer state, state.json)`` on every rank."""
    g = g or group()
    if g.size() == 1:
        assert loaded is not None
        return loaded
    adapters, opt, st = loaded if g.rank() == 0 and loaded is not None else ({}, {}, {})
    st = broadcast_json(st, g)
    adapters = broadcast_arrays(adapters, g)
    opt = broadcast_arrays(opt, g)
    return adapters, opt, st


# -- the rank process --------------------------------------------------------------------------------------------
class _RankSink:
    """Rank 0 reports for the group; another rank reports only its failure (prefixed with the rank and machine).

    A collective that fails because a peer went away becomes one clear sentence (the launcher then says which rank).
    """

    def __init__(self, writer: ev.Sink, rank: int) -> None:
        self.writer = writer
        self.rank = rank
        self.prefix = f"rank {rank} ({socket.gethostname()}): " if rank else ""

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.Failed):
            message = event.message
            if "[ring]" in message:
                message = (f"{LOST_PEER} ({message.split('[ring]', 1)[1].split('(details', 1)[0].strip()}): it "
                           "stopped or its machine went away. The last complete checkpoint is kept — resume to "
                           "continue")
            self.writer(ev.Failed(job=event.job, message=self.prefix + message, detail=event.detail))
        elif self.rank == 0:
            self.writer(event)


def rank_main(argv: list[str] | None = None) -> int:
    """Entry point of one rank: ``python -m mlxstudio.core.training.distributed '{"job": ..., "params": ...}'``.

    Joins the ring (``MLX_RANK``/``MLX_HOSTFILE`` come from ``mlx.launch``), then runs the job like the worker does.
    Only rank 0 streams events and reacts to ``cancel`` (on stdin, or SIGINT); the others follow its decision.
    """
    from mlxstudio.core.runtime.worker import _claim_stdout, _EventWriter, _watch_stdin, execute

    args = list(sys.argv[1:] if argv is None else argv)
    writer = _EventWriter(_claim_stdout())
    rank = int(os.environ.get("MLX_RANK", "0") or 0)
    try:
        spec = json.loads(args[0] if args else sys.stdin.readline())
        job, params = str(spec["job"]), dict(spec.get("params") or {})
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        writer(ev.Failed(job="worker", message=_("rank {rank}: bad job spec: {exc}").format(rank=rank, exc=exc)))
        return EXIT_USER
    sink: ev.Sink = _RankSink(writer, rank)
    try:
        from mlxstudio.core.runtime.mlxrt import mx

        g = mx.distributed.init(backend=os.environ.get("MLXSTUDIO_DIST_BACKEND", BACKEND), strict=True)
    except Exception as exc:  # the ring could not connect: say which machine and why
        sink(ev.Failed(job=job, message=_("rank {rank} could not join the group ({exc}) — check that every machine "
                                          "can reach the others on the network and that the ports are not blocked")
                                              .format(rank=rank, exc=exc)))
        return EXIT_USER
    if g.rank() != rank:
        rank = int(g.rank())
        sink = _RankSink(writer, rank)
    cancel = threading.Event()
    if rank == 0:
        threading.Thread(target=_watch_stdin, args=(sys.stdin, cancel, False), daemon=True,
                         name="rank-stdin").start()
        threading.Thread(target=_watch_client, args=(cancel,), daemon=True, name="rank-client").start()
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGINT, (lambda *_: cancel.set()) if rank == 0 else signal.SIG_IGN)
    code = execute(job, params, sink, cancel.is_set if rank == 0 else (lambda: False))
    if rank != 0 and code == EXIT_CANCELLED:
        return EXIT_OK  # rank 0 decided to stop and exits last: a non-zero code here would make the launcher kill it
    return code


def _watch_client(cancel: threading.Event, every: float = 1.0) -> None:
    """Stop gracefully when the app/CLI that started the group is gone (it crashed or was killed).

    The launcher does not pass on the end of its stdin, so rank 0 watches the client's pid itself (same machine only).
    """
    try:
        pid = int(os.environ.get("MLXSTUDIO_CLIENT_PID", "0"))
    except ValueError:
        return
    if pid <= 0 or os.environ.get("MLXSTUDIO_CLIENT_HOST") != socket.gethostname():
        return
    while not cancel.wait(every):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            cancel.set()
            return
        except PermissionError:
            continue


# -- launching ---------------------------------------------------------------------------------------------------
def launcher_command(python: str | None = None) -> list[str]:
    """How to start MLX's launcher: the ``mlx.launch`` script of this environment, else the same module via -c."""
    python = python or sys.executable
    script = Path(python).parent / "mlx.launch"
    if script.exists():
        return [str(script)]
    return [python, "-c", "from mlx._distributed_utils.launch import main; main()"]


def rank_command(job: str, params: dict[str, Any], python: str | None = None) -> list[str]:
    """The command every rank runs (the same interpreter path on every machine)."""
    spec = json.dumps({"job": job, "params": params}, ensure_ascii=False, default=str)
    return [python or sys.executable, "-m", "mlxstudio.core.training.distributed", spec]


def free_port_block(n: int, host: str = "127.0.0.1", tries: int = 50) -> int:
    """A first port ``p`` such that ``p … p+n-1`` are free on ``host`` right now (for local ranks)."""
    import random

    for _try in range(tries):
        start = random.randint(20000, 60000 - n)
        socks = []
        try:
            for p in range(start, start + n):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                socks.append(s)
                s.bind((host, p))
            return start
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    return DEFAULT_PORT


def rank_hosts(hosts: Sequence[Host]) -> list[str]:
    """The machine of each rank, in rank order (for messages)."""
    return [h.label for h in hosts for _ in range(h.slots)]


class GroupProcess(WorkerProcess):
    """A job run by a group of ranks through ``mlx.launch`` — same interface as :class:`WorkerProcess`.

    ``hosts``: resolved hosts (:func:`mlxstudio.core.training.hosts.resolve_hosts`) or ``hosts.local_hosts(n)``.
    Only the first final event is passed on (every rank may fail the same way); a group that ends without one
    yields a ``Failed`` naming the rank that stopped.
    """

    def __init__(self, job: str, params: dict[str, Any], hosts: Sequence[Host], port: int | None = None,
                 env: dict[str, str] | None = None, cwd: str | Path | None = None, python: str | None = None) -> None:
        super().__init__(job, params, env=env, cwd=cwd)
        self.hosts = list(hosts)
        self.size = world_size(self.hosts)
        self.port = port
        self.python = python
        self.hostfile: Path | None = None

    def command(self) -> list[str]:
        """The full launcher command line (the host file is written by :meth:`start`)."""
        local = all(h.is_local for h in self.hosts)
        port = self.port or (free_port_block(self.size) if local else DEFAULT_PORT)
        self.port = port
        cmd = [*launcher_command(self.python), "--backend", BACKEND, "--hostfile", str(self.hostfile or "HOSTFILE"),
               "--starting-port", str(port)]
        for key in ("PYTHONUNBUFFERED=1", "TOKENIZERS_PARALLELISM=false", f"MLXSTUDIO_CLIENT_PID={os.getpid()}",
                    f"MLXSTUDIO_CLIENT_HOST={socket.gethostname()}"):
            cmd += ["--env", key]
        return [*cmd, "--", *rank_command(self.job, self.params, self.python)]

    def start(self) -> GroupProcess:
        """Write the host file and start the launcher (in its own session, so Ctrl+C reaches only us)."""
        from mlxstudio.core import paths

        stamp = time.strftime("%Y%m%d-%H%M%S")
        tag = f"{self.job}-{stamp}-{os.getpid()}-{id(self) % 10000}"
        fd, name = tempfile.mkstemp(prefix=f"hosts-{tag}-", suffix=".json", dir=paths.logs_dir())
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(mlx_hostfile(self.hosts), fh, indent=1)
        self.hostfile = Path(name)
        self.stderr_path = paths.logs_dir() / f"group-{tag}.log"
        self._stderr_file = open(self.stderr_path, "w", encoding="utf-8")  # noqa: SIM115 (closed in _finish)
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        env.setdefault("TOKENIZERS_PARALLELISM", "false")
        local_ranks = sum(h.slots for h in self.hosts if h.is_local)
        if local_ranks > 1 and "OPENBLAS_NUM_THREADS" not in env:  # the ranks share this machine's cores
            env["OPENBLAS_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // local_ranks))
        self.proc = subprocess.Popen(
            self.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr_file, text=True,
            encoding="utf-8", env=env, cwd=self.cwd, bufsize=1, start_new_session=True,
        )
        return self

    def events(self) -> Iterator[ev.Event]:
        """Rank 0's events; exactly one final event (the first one any rank sent, else a crash report)."""
        if self.proc is None:
            self.start()
        assert self.proc is not None and self.proc.stdout is not None
        held: ev.Failed | None = None
        for line in self.proc.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                event = ev.from_json(line)
            except (ValueError, TypeError):
                continue  # a line of another rank's output cut by the launcher: not an event
            if self._final is not None:
                continue
            if isinstance(event, (ev.Finished, ev.Failed, ev.Cancelled)):
                self._final = event
                if isinstance(event, ev.Failed) and LOST_PEER in event.message:
                    held = event  # a consequence: say which rank stopped once the launcher has told us
                    continue
            yield event
        self.proc.wait()
        self._finish()
        if self._final is None:
            yield ev.Failed(job=self.job, message=self.group_failure(), detail=self.stderr_tail())
        elif held is not None:
            yield ev.Failed(job=self.job, message=self._rank_failure() or held.message, detail=held.detail)

    def _rank_failure(self) -> str | None:
        """The rank that stopped first, from the launcher's messages (None when it did not say)."""
        text = _strip_ansi(self.stderr_tail(200))
        names = rank_hosts(self.hosts)
        found: list[tuple[int, str]] = []
        for m in re.finditer(r"Node with rank (\d+) (exited with code (-?\d+)|was killed)", text):
            r = int(m.group(1))
            code = int(m.group(3)) if m.group(3) is not None else None
            where = f"rank {r} ({names[r] if r < len(names) else '?'})"
            if code == 0:
                continue
            if code is None:  # the launcher stopped it because another rank had ended: not the cause
                found.append((3, f"{where} was stopped"))
            elif code < 0:
                sig = f"signal {-code}"
                with contextlib.suppress(ValueError):
                    sig = signal.Signals(-code).name
                found.append((0, f"{where} was killed by {sig}"))
            elif code == 255:
                found.append((1, f"{where} could not be started over ssh, or lost its ssh connection"))
            elif code == 127:
                found.append((1, f"{where}: the Python interpreter {self.python or sys.executable} does not exist "
                                 "there"))
            else:
                found.append((2, f"{where} stopped with exit code {code}"))
        if not found:
            return None
        why = min(found, key=lambda x: x[0])[1]
        return (f"{why}; the other ranks were stopped. The last complete checkpoint is kept — resume to continue. "
                f"Details: {self.stderr_path}")

    def group_failure(self) -> str:
        """One sentence about why the group ended without a result (from the launcher's messages)."""
        found = self._rank_failure()
        if found:
            return found
        last = [ln for ln in _strip_ansi(self.stderr_tail(200)).splitlines() if ln.strip()]
        tail = last[-1].strip() if last else f"exit code {self.proc.returncode if self.proc else '?'}"
        return f"the training group stopped unexpectedly ({tail}); see {self.stderr_path}"

    def cancel(self) -> None:
        """Ask every rank to stop after the current step (rank 0 saves the adapter and a checkpoint)."""
        super().cancel()  # "cancel\n" on the launcher's stdin, which it forwards to every rank

    def kill(self) -> None:
        """Kill the launcher and every local rank now (remote ranks lose their ssh session and stop)."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def _finish(self) -> None:
        super()._finish()
        if self.hostfile is not None:
            with contextlib.suppress(OSError):
                self.hostfile.unlink()

    def __exit__(self, *exc: object) -> None:
        if self.running:
            self.kill()
            self.wait(10)
        self._finish()


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def run_group(job: str, params: dict[str, Any], hosts: Sequence[Host], sink: ev.Sink = ev.null_sink,
              cancel: Callable[[], bool] | None = None, port: int | None = None) -> ev.Event:
    """Run ``job`` on the group and pass rank 0's events to ``sink``; return the final event.

    ``cancel`` is polled every 0.2 s; when it turns true the group is asked to stop gracefully.
    """
    proc = GroupProcess(job, params, hosts, port=port)
    proc.start()
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.2):
            if cancel is not None and cancel():
                proc.cancel()
                return

    threading.Thread(target=watch, daemon=True, name="group-cancel").start()
    try:
        return proc.run(sink)
    finally:
        done.set()
        if proc.running:
            proc.kill()
            proc.wait(10)


if __name__ == "__main__":
    sys.exit(rank_main())
