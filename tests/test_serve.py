"""Serving a tuned model with mlx-lm's own OpenAI-compatible server, talked to with a real HTTP client (urllib):
chat completion, streaming (SSE), a bad request's JSON error, the model id ``/v1/models`` lists, and the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlxstudio.core import errors
from mlxstudio.core.inference import serve
from mlxstudio.core.inference.serve import ServerProcess, curl_example, server_command
from mlxstudio.core.training.config import TrainConfig
from mlxstudio.core.training.engine import run_training

SEED = Path(__file__).parent / "data" / "seed_train.jsonl"


def _post(url: str, body: Any, timeout: float = 120) -> tuple[int, bytes]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture(scope="module")
def trained(tiny_model_session: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny model and an adapter trained on it for two iterations."""
    rows = [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    out = tmp_path_factory.mktemp("serve") / "run-1"
    cfg = TrainConfig(iters=2, learning_rate=1e-3, batch_size=4, steps_per_report=1, steps_per_eval=10, save_every=5,
                      num_layers=2, val_batches=-1)
    run_training(tiny_model_session, {"train": rows * 4, "valid": rows[:2]}, out, cfg)
    assert (out / "adapters.safetensors").is_file()
    return tiny_model_session, out


@pytest.fixture(scope="module")
def server(trained: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the module (loading takes a while); its log goes to a private home, not the real one."""
    model, adapter = trained
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLXSTUDIO_HOME", str(tmp_path_factory.mktemp("serve-home")))
        srv = ServerProcess(model, adapter, max_tokens=8).start()
    try:
        srv.wait_ready(timeout=240)
        yield srv
    finally:
        srv.stop()


def test_command_is_mlx_lm_server_on_localhost(tmp_path: Path) -> None:
    cmd = server_command(tmp_path / "m", tmp_path / "a", 8123, enable_thinking=False, parent_pid=42)
    assert cmd[:3] == [sys.executable, "-m", "mlxstudio.core.inference.serve_main"]
    text = " ".join(cmd)
    assert "--host 127.0.0.1" in text and "--port 8123" in text and "--parent-pid 42" in text
    assert cmd[cmd.index("--adapter-path") + 1] == str((tmp_path / "a").resolve())
    assert json.loads(cmd[cmd.index("--chat-template-args") + 1]) == {"enable_thinking": False}
    assert cmd[cmd.index("--served-name") + 1] == "m-a"
    assert "--adapter-path" not in server_command(tmp_path / "m")


def test_curl_example_is_valid_shell() -> None:
    import shlex

    text = curl_example("http://127.0.0.1:8080", "/models/it's tuned")
    words = shlex.split(text.replace("\\\n", " "))
    assert words[:2] == ["curl", "http://127.0.0.1:8080/v1/chat/completions"]
    assert json.loads(words[-1])["model"] == "/models/it's tuned"


def test_bad_inputs_are_refused_before_starting(tiny_model: Path, tmp_path: Path) -> None:
    with pytest.raises(errors.UserError, match=r"adapters\.safetensors"):
        ServerProcess(tiny_model, tmp_path).start()
    with pytest.raises(errors.UserError):
        ServerProcess(tmp_path / "nothing-here").start()
    assert serve.running_servers() == []


def test_chat_completion(server: ServerProcess) -> None:
    info = server.info
    assert info is not None and info.base_url.startswith("http://127.0.0.1:")
    status, body = _post(info.chat_url, {"model": info.model_id, "max_tokens": 5,
                                         "messages": [{"role": "user", "content": "今天星期几"}]})
    assert status == 200, body
    reply = json.loads(body)
    assert reply["object"] == "chat.completion"
    assert isinstance(reply["choices"][0]["message"]["content"], str)
    assert reply["usage"]["completion_tokens"] >= 1


def test_listed_model_is_the_tuned_one(server: ServerProcess) -> None:
    """The short name, the id /v1/models lists and mlx-lm's "default_model" all mean the model + adapter."""
    assert server.info is not None
    assert server.info.model_id == "tiny-llama-run-1"
    assert server.listed_id in (serve.listed_models(server.base_url) or [])
    msgs = [{"role": "user", "content": "今天星期几"}]
    answers = []
    for model in (server.info.model_id, server.listed_id, "default_model"):
        status, body = _post(server.info.chat_url, {"model": model, "messages": msgs, "max_tokens": 6,
                                                    "temperature": 0.0})
        assert status == 200, body
        answers.append(json.loads(body)["choices"][0]["message"]["content"])
    assert answers[0] == answers[1] == answers[2]
    assert server.running


def test_streaming_sends_server_sent_events(server: ServerProcess) -> None:
    assert server.info is not None
    req = urllib.request.Request(server.info.chat_url, method="POST", headers={"Content-Type": "application/json"},
                                 data=json.dumps({"model": server.info.model_id, "stream": True, "max_tokens": 5,
                                                  "messages": [{"role": "user", "content": "hello"}]}).encode())
    with urllib.request.urlopen(req, timeout=120) as resp:
        assert resp.headers.get("Content-Type", "").startswith("text/event-stream")
        lines = [line.decode().strip() for line in resp]
    data = [ln[len("data: "):] for ln in lines if ln.startswith("data: ")]
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert chunks and all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert any(c["choices"] and c["choices"][0].get("finish_reason") for c in chunks)


def test_bad_request_gets_a_json_error(server: ServerProcess) -> None:
    assert server.info is not None
    status, body = _post(server.info.chat_url, b"{not json")
    assert status == 400 and "Invalid JSON" in json.loads(body)["error"]
    status, body = _post(server.info.chat_url, {"model": server.info.model_id, "messages": [], "max_tokens": -3})
    assert status == 400 and json.loads(body)["error"]


def test_port_in_use_is_a_clear_error(server: ServerProcess) -> None:
    with pytest.raises(errors.UserError, match=f"Port {server.port} is in use"):
        ServerProcess(server.model, port=server.port).start()


def test_stop_ends_the_process(trained: tuple[Path, Path]) -> None:
    srv = ServerProcess(trained[0]).start()
    pid = srv.pid
    assert srv in serve.running_servers()
    serve.stop_all()
    assert not srv.running and srv not in serve.running_servers()
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cli_serve_prints_url_model_and_curl_and_stops_on_a_signal(trained: tuple[Path, Path],
                                                                  sig: signal.Signals) -> None:
    model, adapter = trained
    port = serve.free_port(18080)
    proc = subprocess.Popen([sys.executable, "-m", "mlxstudio.cli", "--json", "serve", "--model", str(model),
                             "--adapter-path", str(adapter), "--port", str(port), "--max-tokens", "4"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the Result line, once the model answers
        result = json.loads(line)["data"]
        assert result["url"] == f"http://127.0.0.1:{port}" and result["model"] == "tiny-llama-run-1"
        assert result["listed_id"] == str(model.resolve())
        status, body = _post(f"{result['url']}/v1/chat/completions",
                             {"model": result["model"], "messages": [{"role": "user", "content": "hi"}]})
        assert status == 200, body
        server_pid = int(result["pid"])
        proc.send_signal(sig)  # Ctrl+C or a service manager's stop: the server is stopped first
        assert proc.wait(30) == 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(server_pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the server outlived the CLI")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_cli_serve_refuses_a_missing_model(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "mlxstudio.cli", "serve", "--model", str(tmp_path / "none")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "error:" in proc.stderr


def _gone(pid: int) -> bool:
    """No such process, or only its zombie (its parent is gone and nobody reaped it yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def test_server_ends_when_the_app_is_killed(trained: tuple[Path, Path]) -> None:
    """An app that is killed (no clean quit) leaves no server behind: the server watches its parent."""
    code = ("import time\nfrom mlxstudio.core.inference.serve import ServerProcess\n"
            f"s = ServerProcess({str(trained[0])!r}).start()\nprint(s.pid, flush=True)\ntime.sleep(120)\n")
    app = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert app.stdout is not None
    pid = int(app.stdout.readline())
    time.sleep(1.0)
    app.kill()
    app.wait(10)
    deadline = time.monotonic() + 15
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _gone(pid), "the server outlived the app that started it"


def test_a_bundled_app_serves_through_its_own_executable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from mlxstudio.core.runtime import bundle

    monkeypatch.setattr(sys, "frozen", "macosx_app", raising=False)
    monkeypatch.setattr(bundle, "app_executable", lambda: tmp_path / "MLX Studio")
    assert serve.launcher_command() == [str(tmp_path / "MLX Studio"), "--mlxstudio-serve"]
    app = Path(__file__).resolve().parents[1] / "packaging" / "mlxstudio_app.py"
    assert 'SERVE_FLAG = "--mlxstudio-serve"' in app.read_text(encoding="utf-8")


def test_a_model_that_cannot_load_says_why(tiny_model: Path) -> None:
    for f in tiny_model.glob("*.safetensors"):
        f.unlink()
    srv = ServerProcess(tiny_model, port=serve.free_port(18300)).start()
    with pytest.raises(errors.UserError, match=r"stopped while starting.*FileNotFoundError: No safetensors found"):
        srv.wait_ready(timeout=120)
    assert not srv.running and srv not in serve.running_servers()
