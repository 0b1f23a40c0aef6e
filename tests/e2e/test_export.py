"""End to end with the real CLI: a profile made by hand with kiroctl, exported with
``kiroctl export``, then ``pulumi stack init`` and ``pulumi up`` of what was written.

The up must change nothing in Kiro (the Users and Groups tabs are the same before and after:
tier, effective tier, pending tier and date, status), the drift check right after must pass,
and a later out-of-band change must be drift. On the ledger in Python and in YAML (through the
plugin), and on the aws control plane (the fake Kiro service and moto) in Python. The exported
project is run as written: kiroctl's settings reach pulumi only through its Pulumi.yaml.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kiro_provider.ledger import open_ledger
from tests.e2e.harness import KIROCTL, engine_bin, engine_env
from tests.fakes import environment as fake_aws

MID_NOVEMBER = "2026-11-15T12:00:00Z"
#: Directory users beyond the fakes' alice, bob, carol and dave.
MORE_USERS = ("erin", "frank")
#: Two groups with overlapping members (carol and frank in both; dave and frank only through
#: groups; carol's direct Pro below design's Pro+).
GROUPS = {"engineering": ("bob", "carol", "frank"), "design": ("carol", "dave", "frank")}


@dataclass
class Console:
    """An administrator's shell: kiroctl with its settings, pulumi with only the engine's."""

    home: Path
    kiroctl_env: dict[str, str]
    kiroctl_args: tuple[str, ...]

    def kiroctl(self, *args: str) -> str:
        result = subprocess.run(
            [str(KIROCTL), *self.kiroctl_args, *args],
            cwd=self.home,
            env={**os.environ, **engine_env(self.home), **self.kiroctl_env},
            text=True,
            capture_output=True,
        )
        assert result.returncode == 0, f"kiroctl {' '.join(args)}: {result.stderr}"
        return result.stdout

    def pulumi(
        self, project: Path, *args: str, env: dict[str, str], check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(engine_bin() / "pulumi"), *args, "--non-interactive"],
            cwd=project,
            env={**os.environ, **engine_env(self.home, env)},
            text=True,
            capture_output=True,
        )
        if check:
            assert result.returncode == 0, f"pulumi {' '.join(args)}: {result.stdout[-3000:]}"
        return result

    def tabs(self) -> tuple[Any, Any]:
        """The Users and Groups tabs as JSON, sorted by name."""
        users = sorted(json.loads(self.kiroctl("users", "--json")), key=lambda u: u["user_name"])
        groups = json.loads(self.kiroctl("groups", "--json"))
        return users, sorted(groups, key=lambda g: g["group_name"])


def make_profile_by_hand(console: Console, activate: Callable[[str], None]) -> None:
    """Direct subscriptions at each tier (alice Power going down to Pro+ on the 1st, bob Pro+
    active, carol Pro pending), erin canceled, both groups assigned, overages on."""
    console.kiroctl("subscribe", "alice", "--tier", "Power")
    activate("alice")
    console.kiroctl("change-plan", "alice", "--tier", "Pro+")
    console.kiroctl("subscribe", "bob", "--tier", "Pro+")
    activate("bob")
    console.kiroctl("subscribe", "carol", "--tier", "Pro")
    console.kiroctl("subscribe", "erin", "--tier", "Pro")
    console.kiroctl("unsubscribe", "erin")
    console.kiroctl("subscribe", "--group", "engineering", "--tier", "Pro")
    console.kiroctl("subscribe", "--group", "design", "--tier", "Pro+")
    console.kiroctl("settings", "--overages", "on")


def export_then_adopt(
    console: Console,
    language: str,
    pulumi_env: dict[str, str],
    after_up: Callable[[], None] = lambda: None,
) -> Path:
    """The three commands, with the checks that the up changed nothing and left no drift."""
    users, groups = before = console.tabs()
    by_name = {u["user_name"]: u for u in users}
    assert by_name["alice"]["pending_tier"] == "Pro+" and by_name["carol"]["status"] == "Pending"
    assert by_name["erin"]["status"] == "Canceled" and by_name["frank"]["groups"]
    assert len(groups) == 2
    project = console.home / "adopted"
    printed = console.kiroctl("export", "--format", language, "--out", str(project))
    assert "3 Subscription(s), 2 GroupAssignment(s)" in printed
    assert "2 user(s) with a plan only through groups; 1 canceled" in printed

    console.pulumi(project, "stack", "init", "dev", env=pulumi_env)
    up = console.pulumi(project, "up", "--yes", "--skip-preview", env=pulumi_env)
    assert "7 created" in up.stdout, up.stdout  # six resources and the stack
    assert console.tabs() == before
    after_up()
    console.pulumi(project, "preview", "--refresh", "--expect-no-changes", env=pulumi_env)

    console.kiroctl("change-plan", "bob", "--tier", "Power")
    drift = console.pulumi(
        project, "preview", "--refresh", "--expect-no-changes", env=pulumi_env, check=False
    )
    assert drift.returncode != 0, drift.stdout
    assert "bob" in drift.stdout
    return project


# --- the ledger -----------------------------------------------------------------------------


@pytest.fixture(params=["default", "eu"])
def ledger_console(tmp_path: Path, request: pytest.FixtureRequest) -> Console:
    """The profile by hand on a ledger, in ``default`` or in ``eu`` (which reaches pulumi only
    through the exported project config, as the ledger's path does)."""
    (tmp_path / "backend").mkdir()
    ledger = tmp_path / "kiro" / "ledger.db"
    (tmp_path / "kiro").mkdir()
    open_ledger(str(ledger)).create_profile(request.param)
    console = Console(
        tmp_path, {"KIRO_PROFILE": request.param}, ("--ledger", str(ledger), "--now", MID_NOVEMBER)
    )
    for name in ("alice", "bob", "carol", "dave", *MORE_USERS):
        console.kiroctl("directory", "add-user", name, "--email", f"{name}@example.com")
    for name, members in GROUPS.items():
        console.kiroctl("directory", "add-group", name, *(f"--member={m}" for m in members))

    def activate(user: str) -> None:
        console.kiroctl("activate", user)

    make_profile_by_hand(console, activate)
    return console


@pytest.mark.parametrize(
    ("language", "ledger_console"),
    [("python", "default"), ("yaml", "eu")],
    indirect=["ledger_console"],
)
def test_export_then_up_on_the_ledger_changes_nothing(
    ledger_console: Console, language: str
) -> None:
    ledger = Path(ledger_console.kiroctl_args[1])
    profile = ledger_console.kiroctl_env["KIRO_PROFILE"]
    before = assignments(ledger)

    def only_ownership_was_recorded() -> None:
        after = assignments(ledger)
        assert [row[:-1] for row in after] == [row[:-1] for row in before]
        assert {row[-1] for row in before} == {None}
        # 3 direct; engineering's 3 members and design's 3: each now the stack's.
        assert len(after) == 9
        assert {owner.rsplit("/", 1)[0] for *_, owner in after} == {f"kiro-{profile}/dev"}
        assert {row[0] for row in after} == {profile}

    # The ledger and profile are named only by the exported Pulumi.yaml; the clock as for
    # kiroctl.
    pulumi_env = {"KIRO_SIMULATED_NOW": MID_NOVEMBER}
    export_then_adopt(ledger_console, language, pulumi_env, only_ownership_was_recorded)


def assignments(ledger: Path) -> list[tuple[Any, ...]]:
    """Every assignment row (profile, user, group, tier, owner), in a stable order."""
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT profile, user_id, group_id, tier, owner FROM assignments")
        return sorted(rows, key=lambda row: tuple(str(v) for v in row[:3]))


# --- the aws control plane ------------------------------------------------------------------


@pytest.fixture
def aws_console(tmp_path: Path) -> Iterator[Console]:
    moto, moto_url = fake_aws.start_moto()
    try:
        # moto's backends are per process, not per server: start from an empty store whatever
        # an earlier test of this session left in it.
        fake_aws.reset_moto(moto_url)
        seeded = fake_aws.seed(moto_url)
        admin = fake_aws.identitystore(moto_url)
        ids = {name: user.user_id for name, user in seeded.users.items()}
        for name in MORE_USERS:
            ids[name] = fake_aws.create_user(admin, name)
        for name, members in GROUPS.items():
            group_id = seeded.groups[name].group_id
            for member in set(members) - set(fake_aws.GROUPS[name]):
                fake_aws.add_member(moto_url, group_id, ids[member])
        with fake_aws.spawn_fake(moto_url) as fake_url:
            fake_aws.control(fake_url, "clock", {"now": MID_NOVEMBER})
            settings = fake_aws.stack_config(fake_aws.coordinates(moto_url), fake_url)
            kiroctl_env = {
                "KIRO_CONTROL_PLANE": "aws",
                **fake_aws.kiroctl_environment(settings),
            }
            (tmp_path / "backend").mkdir()
            console = Console(tmp_path, {**_aws_env(moto_url), **kiroctl_env}, ())

            def sign_in(user: str) -> None:
                fake_aws.control(fake_url, "sign-in", {"userId": ids[user]})

            make_profile_by_hand(console, sign_in)
            yield console
    finally:
        moto.stop()


def _aws_env(moto_url: str) -> dict[str, str]:
    """What any AWS client needs here: credentials, and IAM Identity Center at moto."""
    return {
        **fake_aws.CREDENTIALS,
        "AWS_ENDPOINT_URL_IDENTITYSTORE": moto_url,
        "KIRO_SIMULATED_NOW": MID_NOVEMBER,
    }


def test_export_then_up_on_the_aws_control_plane_changes_nothing(aws_console: Console) -> None:
    moto_url = aws_console.kiroctl_env["AWS_ENDPOINT_URL_IDENTITYSTORE"]
    project = export_then_adopt(aws_console, "python", _aws_env(moto_url))
    assert "kiro:controlPlane: aws" in (project / "Pulumi.yaml").read_text()
    assert not (project / ".kiro").exists()  # the ledger was never opened
