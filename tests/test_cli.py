"""The CLI's global flags work before and after the subcommand; errors are one line, never a traceback."""

import json

import pytest

from mlxstudio.cli import main


@pytest.mark.parametrize("argv", [["--json", "models", "list"], ["models", "list", "--json"]])
def test_json_flag_before_or_after_subcommand(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out and all(isinstance(json.loads(line), (dict, list)) for line in out)


def test_user_error_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--model", "no-such-model", "--prompt", "hi"]) == 2
    err = capsys.readouterr().err
    assert "error: no model 'no-such-model'" in err and "Traceback" not in err


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().out
