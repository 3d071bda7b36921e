"""``mlxstudio-cli download`` / ``convert`` against the local fake hub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hub_server import TEST_REPO, FakeHub, fake_hub  # noqa: F401

from mlxstudio import cli
from mlxstudio.core import paths


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_download_json_and_errors(fake_hub: FakeHub, capsys: pytest.CaptureFixture[str],  # noqa: F811
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "hf_CliSecretToken42"
    monkeypatch.setenv("MY_HUB_TOKEN", secret)
    fake_hub.faults.require_token = secret
    code = cli.main(["download", "--hub", "hf", TEST_REPO, "--endpoint", fake_hub.url, "--name", "t1",
                     "--token-env", "MY_HUB_TOKEN", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    events = _json_lines(out)
    assert events[-1] == {"event": "Result", "data": {"path": str(paths.models_dir() / "t1"), "name": "t1"}}
    assert any(e["event"] == "DownloadProgress" for e in events)
    assert secret not in out

    code = cli.main(["download", "--hub", "modelscope", TEST_REPO, "--endpoint", fake_hub.url])
    err = capsys.readouterr().err
    assert code == 2 and "refused access" in err and "Traceback" not in err

    code = cli.main(["download", TEST_REPO, "--endpoint", fake_hub.url, "--token-env", "NOT_SET_ANYWHERE_X"])
    assert code == 2 and "NOT_SET_ANYWHERE_X is not set" in capsys.readouterr().err

    fake_hub.faults.require_token = None
    code = cli.main(["download", "nobody/nothing", "--endpoint", fake_hub.url])
    err = capsys.readouterr().err
    assert code == 2 and "nobody/nothing was not found on ModelScope" in err


def test_convert_command(tiny_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["convert", str(tiny_model), "--quantize", "4", "--group-size", "32", "--name", "tq", "-q"])
    out = capsys.readouterr().out.strip()
    assert code == 0 and out == str(paths.models_dir() / "tq")
    assert json.loads((Path(out) / "config.json").read_text())["quantization"]["bits"] == 4
