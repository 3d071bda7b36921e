"""The log file follows MLXSTUDIO_HOME (each test's home gets its own log)."""

from pathlib import Path

import pytest

from mlxstudio.core import logs


def test_log_follows_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a", "b"):
        monkeypatch.setenv("MLXSTUDIO_HOME", str(tmp_path / name))
        try:
            raise RuntimeError(f"boom-{name}")
        except RuntimeError as exc:
            path = logs.log_exception(exc)
        assert path == tmp_path / name / "logs" / "mlxstudio.log"
        assert f"boom-{name}" in path.read_text()
    assert "boom-b" not in (tmp_path / "a" / "logs" / "mlxstudio.log").read_text()
