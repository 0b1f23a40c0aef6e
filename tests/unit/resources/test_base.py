"""The configuration the providers load once and reuse must still follow every change."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from kiro_provider.errors import ValidationError
from kiro_provider.resources import base


def test_the_cached_configuration_follows_environment_stack_config_and_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack_config: dict[str, str] = {}
    monkeypatch.setattr(base, "_stack_config", stack_config)
    monkeypatch.delenv("KIRO_LEDGER", raising=False)
    monkeypatch.setenv("KIRO_PROFILE", "first")
    monkeypatch.setenv("KIRO_SIMULATED_NOW", "2026-01-31T23:59:59Z")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "a")

    assert base.current_config().profile == "first"
    assert base.current_config().ledger_path == str(tmp_path / "a" / ".kiro" / "ledger.db")

    monkeypatch.setenv("KIRO_PROFILE", "second")
    monkeypatch.setenv("KIRO_SIMULATED_NOW", "2026-02-01T00:00:00Z")
    config = base.current_config()
    assert config.profile == "second"
    assert config.simulated_now == datetime(2026, 2, 1, tzinfo=timezone.utc)

    stack_config["kiro:profile"] = "from-stack"
    assert base.current_config().profile == "from-stack"

    monkeypatch.chdir(tmp_path / "b")
    assert base.current_config().ledger_path == str(tmp_path / "b" / ".kiro" / "ledger.db")


def test_a_bad_setting_fails_every_time_it_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "_stack_config", {"kiro:directory": "ldap"})
    for _ in range(2):
        with pytest.raises(ValidationError, match="directory: 'ldap' is not a directory kind"):
            base.current_config()
