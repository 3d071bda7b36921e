"""Serve a tuned (or fused) model over an OpenAI-compatible HTTP API on this machine only (127.0.0.1).

The server is mlx-lm's own (``mlx_lm.server``), run in its own process through :mod:`.serve_main` (OpenBLAS first on
Linux, the listed model id bound to the adapter, gone when the app is gone). This module is the Qt-free client:

    server = ServerProcess(model, adapter).start()
    info = server.wait_ready()          # polls GET /v1/models until it answers; raises UserError if it dies
    print(info.curl)                    # a copyable example
    server.stop()

Every started server is registered; :func:`stop_all` (also run at exit) stops them, so none outlives the app.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from mlxstudio.core import errors, paths
from mlxstudio.core.i18n import _

HOST = "127.0.0.1"
"""Only this machine can reach the server (mlx-lm's server has only basic security checks)."""
DEFAULT_PORT = 8080
"""mlx-lm's default port; the next free one is used when it is taken."""
READY_TIMEOUT_S = 300.0
"""How long loading the model may take before the start is given up."""
STOP_TIMEOUT_S = 5.0
"""Seconds a server gets to end after SIGTERM before it is killed."""

_live: set[ServerProcess] = set()
_lock = threading.Lock()


@dataclass(frozen=True)
class ServeInfo:
    """What a person needs to use a running server: its base URL, the model name to send, and examples."""

    base_url: str
    model_id: str
    port: int

    @property
    def chat_url(self) -> str:
        return f"{self.base_url}/v1/chat/completions"

    @property
    def api_base(self) -> str:
        """What OpenAI-compatible apps ask for as "API base URL"."""
        return f"{self.base_url}/v1"

    @property
    def curl(self) -> str:
        return curl_example(self.base_url, self.model_id)


def curl_example(base_url: str, model_id: str, prompt: str = "Hello! Who are you?") -> str:
    """A ``curl`` command (POSIX shell) that sends one chat message to the server."""
    messages = json.dumps([{"role": "user", "content": prompt}], ensure_ascii=False)
    body = (f'{{"model": {json.dumps(model_id, ensure_ascii=False)}, "max_tokens": 200,\n'
            f'       "messages": {messages}}}')
    return (f"curl {base_url}/v1/chat/completions \\\n"
            f"  -H 'Content-Type: application/json' \\\n"
            f"  -d {shlex.quote(body)}")


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether nothing listens on ``host:port`` (a bind test; like the server's own, a port whose old connections
    are still in TIME_WAIT counts as free)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(preferred: int = DEFAULT_PORT, host: str = HOST, tries: int = 50) -> int:
    """``preferred`` when free, else the next free port above it, else one the system picks."""
    for port in range(preferred, preferred + tries):
        if 0 < port < 65536 and port_is_free(port, host):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def launcher_command() -> list[str]:
    """The command that starts the server process (see :mod:`.serve_main`); in a bundled app, the app's own
    executable with its serve flag (``sys.executable`` there is a bare interpreter, see ``core/runtime/bundle.py``)."""
    from mlxstudio.core.runtime import bundle

    if bundle.is_frozen():
        return [str(bundle.app_executable()), bundle.SERVE_FLAG]
    return [sys.executable, "-m", "mlxstudio.core.inference.serve_main"]


def served_name(model: str | Path, adapter: str | Path | None = None) -> str:
    """The short model name clients send: ``<model>-<adapter>`` (e.g. ``Qwen3-0.6B-run-3``), or the model's."""
    name = Path(model).name
    return f"{name}-{Path(adapter).name}" if adapter else name


def server_command(model: str | Path, adapter: str | Path | None = None, port: int = DEFAULT_PORT,
                   enable_thinking: bool | None = None, parent_pid: int | None = None,
                   max_tokens: int | None = None) -> list[str]:
    """The full command line: the launcher's options (``--parent-pid``, ``--served-name``), then mlx-lm's server
    options (``--model``, ``--adapter-path``, ``--host``, ``--port``, ``--chat-template-args`` for the thinking
    switch, ``--max-tokens``)."""
    cmd = [*launcher_command()]
    if parent_pid:
        cmd += ["--parent-pid", str(parent_pid)]
    cmd += ["--served-name", served_name(model, adapter)]
    cmd += ["--model", str(Path(model).resolve()), "--host", HOST, "--port", str(port)]
    if adapter is not None:
        cmd += ["--adapter-path", str(Path(adapter).resolve())]
    if enable_thinking is None:  # as the run trained (its reasoning setting), the same as every other place
        from mlxstudio.core.inference.generate import template_supports_thinking
        from mlxstudio.core.inference.reasoning import tuned_thinking

        model_dir = Path(model)
        supports = model_dir.is_dir() and template_supports_thinking(model_dir)
        enable_thinking = tuned_thinking(model_dir, adapter, supports)
    if enable_thinking is not None:
        cmd += ["--chat-template-args", json.dumps({"enable_thinking": bool(enable_thinking)})]
    if max_tokens:
        cmd += ["--max-tokens", str(int(max_tokens))]
    return cmd


def listed_models(base_url: str, timeout: float = 1.0) -> list[str] | None:
    """The model ids ``GET /v1/models`` lists, or None when the server does not answer (yet)."""
    try:
        with urllib.request.urlopen(f"{base_url}/v1/models", timeout=timeout) as resp:
            data = json.loads(resp.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return [str(m.get("id")) for m in data.get("data", []) if isinstance(m, dict)]


class ServerProcess:
    """One mlx-lm server for ``model`` (+ ``adapter``) on 127.0.0.1. Qt-free; :meth:`wait_ready` blocks (use a
    thread in the GUI). ``port=None``: :data:`DEFAULT_PORT` or the next free one."""

    def __init__(self, model: str | Path, adapter: str | Path | None = None, port: int | None = None,
                 enable_thinking: bool | None = None, max_tokens: int | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.model = Path(model)
        self.adapter = Path(adapter) if adapter else None
        self.requested_port = port
        self.port = port or DEFAULT_PORT
        self.enable_thinking = enable_thinking
        self.max_tokens = max_tokens
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        self.info: ServeInfo | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def model_id(self) -> str:
        """The model name clients send (:func:`served_name`). The id ``/v1/models`` lists (:attr:`listed_id`)
        means the same model + adapter."""
        return served_name(self.model, self.adapter)

    @property
    def listed_id(self) -> str:
        """The id ``GET /v1/models`` lists for the served model: its resolved folder."""
        return str(self.model.resolve())

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def check(self) -> None:
        """Refuse, with what to do, a model or adapter that cannot be served (before starting anything)."""
        from mlxstudio.core.inference.adapters import check_adapter_matches
        from mlxstudio.core.models import resolve_model

        self.model = Path(resolve_model(self.model))
        if not (self.model / "config.json").is_file():
            raise errors.ModelError(_("{model} is not a model folder (no config.json).").format(model=self.model))
        if self.adapter is not None:
            if not (self.adapter / "adapters.safetensors").is_file():
                raise errors.UserError(_("{adapter} has no adapter weights (adapters.safetensors).").format(
                    adapter=self.adapter))
            check_adapter_matches(self.model, self.adapter)

    def command(self) -> list[str]:
        return server_command(self.model, self.adapter, self.port, self.enable_thinking, os.getpid(),
                              self.max_tokens)

    def start(self) -> ServerProcess:
        """Check the inputs, pick the port and start the process (returns at once; see :meth:`wait_ready`)."""
        self.check()
        if self.requested_port is not None:
            if not port_is_free(self.requested_port):
                raise errors.UserError(_("Port {requested_port} is in use by another program — choose another "
                                         "port or stop that program.").format(requested_port=self.requested_port))
        else:
            self.port = free_port(DEFAULT_PORT)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.log_path = paths.logs_dir() / f"server-{stamp}-{os.getpid()}-{self.port}.log"
        self._log_file = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        env.setdefault("TOKENIZERS_PARALLELISM", "false")
        env.setdefault("HF_HUB_OFFLINE", "1")  # a local folder: nothing to fetch
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=self._log_file,
                                     stderr=subprocess.STDOUT, env=env)
        with _lock:
            _live.add(self)
        return self

    def wait_ready(self, timeout: float = READY_TIMEOUT_S, cancel: Callable[[], bool] | None = None,
                   interval: float = 0.25) -> ServeInfo:
        """Poll ``GET /v1/models`` until the server answers; return :class:`ServeInfo`.

        Raises ``UserError`` (with the end of the server's log) when the process ends first or ``timeout`` passes,
        ``errors.Cancelled`` when ``cancel()`` turns true (the server is stopped in both cases)."""
        deadline = time.monotonic() + timeout
        while True:
            if cancel is not None and cancel():
                self.stop()
                raise errors.Cancelled(_("server start cancelled"))
            if not self.running:
                code = self.proc.returncode if self.proc is not None else None
                self.stop()
                raise errors.UserError(_("The server stopped while starting (exit code {code}): {log_reason} "
                                         "(its log: {log_path})").format(
                                             code=code, log_reason=self.log_reason(), log_path=self.log_path))
            if listed_models(self.base_url, timeout=1.0) is not None:
                self.info = ServeInfo(self.base_url, self.model_id, self.port)
                return self.info
            if time.monotonic() > deadline:
                self.stop()
                raise errors.UserError(_("The server did not answer within {timeout:.0f} s; see {log_path}.").format(
                    timeout=timeout, log_path=self.log_path))
            time.sleep(interval)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """End the server (SIGTERM, then a kill after ``timeout`` s). Safe to call more than once."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(10)
        with _lock:  # stop() may run on two threads at once (the GUI's Stop and the start job's cancel)
            log, self._log_file = self._log_file, None
            _live.discard(self)
        if log is not None:
            log.close()

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the server wrote (its log file)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        with open(self.log_path, encoding="utf-8", errors="replace") as fh:
            return "".join(collections.deque(fh, maxlen=lines)).rstrip()

    def log_reason(self) -> str:
        """The last error line of the server's log (``SomeError: what``), or its last line."""
        lines = [ln.strip() for ln in self.log_tail(60).splitlines() if ln.strip()]
        errors_ = [ln for ln in lines if re.match(r"^[\w.]+(Error|Exception|Exit): ", ln)]
        return (errors_ or lines or ["no output"])[-1]

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def running_servers() -> list[ServerProcess]:
    """Servers started here that still run."""
    with _lock:
        return [s for s in _live if s.running]


def stop_all(timeout: float = STOP_TIMEOUT_S) -> None:
    """Stop every server started by this process (at quit; also registered with :mod:`atexit`)."""
    with _lock:
        servers = list(_live)
    for s in servers:
        s.stop(timeout)


def serve_forever(server: ServerProcess, on_ready: Callable[[ServeInfo], None],
                  cancel: Callable[[], bool] | None = None) -> int:
    """Start ``server``, call ``on_ready`` once it answers, then wait until it ends or ``cancel()``; the CLI's loop.
    Returns the server's exit code (0 when stopped by ``cancel``)."""
    server.start()
    try:
        on_ready(server.wait_ready(cancel=cancel))
        while server.running:
            if cancel is not None and cancel():
                return 0
            time.sleep(0.2)
        return int(server.proc.returncode or 0) if server.proc is not None else 0
    finally:
        server.stop()


atexit.register(stop_all)
