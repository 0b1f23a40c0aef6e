"""``kiroctl --control-plane aws`` reads the real profile (here: the fake) like the ledger's."""

from __future__ import annotations

import json

import pytest

from kiro_provider.aws import AwsControlPlane
from kiro_provider.cli.main import main
from kiro_provider.config import ENVIRONMENT_BY_KEY
from kiro_provider.domain.tiers import Tier
from tests.fakes import environment as env
from tests.fakes.kiro_service import FakeServer


@pytest.fixture
def aws_env(fake: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    config = env.stack_config(fake.state.model.where, fake.url)
    config.pop("kiro:controlPlane")  # given as --control-plane
    for var, value in env.kiroctl_environment(config).items():
        monkeypatch.setenv(var, value)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.usefixtures("aws_env")
def test_users_groups_and_settings_read_kiro(
    cp: AwsControlPlane,
    seeded: env.Seeded,
    fake: FakeServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cp.subscribe_user("default", seeded.users["alice"].user_id, Tier.PRO_PLUS, owner=None)
    cp.subscribe_group("default", seeded.groups["design"].group_id, Tier.POWER, owner=None)

    code, out, err = run(capsys, "--control-plane", "aws", "users")
    assert (code, err) == (0, "")
    assert "alice" in out and "Pro+" in out and "dave" in out and "Power" in out

    # A plan this release has no tier for is shown as Kiro names it.
    env.control(
        fake.url,
        "plan",
        {"userId": seeded.users["dave"].user_id, "plan": "KIRO_ENTERPRISE_PRO_MAX"},
    )
    code, out, _ = run(capsys, "--control-plane", "aws", "users")
    dave = next(line for line in out.splitlines() if line.startswith("dave "))
    assert code == 0 and "KIRO_ENTERPRISE_PRO_MAX" in dave and "Pending" in dave
    code, out, _ = run(capsys, "--control-plane", "aws", "users", "--json")
    rows = {row["user_name"]: row for row in json.loads(out)}
    assert code == 0 and rows["dave"]["effective_tier"] == "KIRO_ENTERPRISE_PRO_MAX"
    assert rows["dave"]["credits"] is None

    code, out, _ = run(capsys, "groups", "--control-plane", "aws")
    assert code == 0 and "design" in out

    code, out, _ = run(capsys, "--control-plane", "aws", "settings", "--json")
    assert code == 0 and '"overages_enabled": false' in out


@pytest.mark.usefixtures("aws_env")
def test_what_kiro_cannot_do_is_a_clear_refusal(
    cp: AwsControlPlane, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--control-plane", "aws", "bill", "--month", "2026-11")
    assert code == 1
    assert "not available with the AWS control plane" in err


def test_missing_settings_name_the_keys(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for var in ENVIRONMENT_BY_KEY.values():
        monkeypatch.delenv(var, raising=False)
    code, _, err = run(capsys, "--control-plane", "aws", "users")
    assert code == 2
    assert "kiro:identityCenterInstanceArn" in err and "kiro:identityStoreId" in err


def test_a_bad_control_plane_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--control-plane", "kiro", "users")
    assert code == 2 and "invalid choice" in err


def test_the_ledger_directory_is_not_administered_under_aws(
    capsys: pytest.CaptureFixture[str], tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIRO_LEDGER", f"{tmp_path}/ledger.db")
    code, _, err = run(capsys, "--control-plane", "aws", "directory", "add-user", "erin")
    assert code == 2
    assert "'identitycenter'" in err and "IAM Identity Center" in err
