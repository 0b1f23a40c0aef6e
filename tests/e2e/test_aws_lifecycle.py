"""End to end with the real CLI: ``kiro:controlPlane=aws`` against the fake Kiro service
(a subprocess on 127.0.0.1) and IAM Identity Center under moto_server. Up, upgrade, deferred
downgrade, drift caught, injected errors that leave the state consistent, destroy.

Twice: with the fake as the adapter's reference describes Kiro, and as public callers report
it (writes accept only ``Q_DEVELOPER_STANDALONE_*`` plan names, show in the listings 2 s
later, and UpdateProfile replaces the whole profile)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from tests.e2e.harness import KIROCTL, E2EStack, new_stack
from tests.fakes import environment as env

PROGRAM = Path(__file__).resolve().parent / "programs" / "aws"
MID_NOVEMBER = "2026-11-15T12:00:00Z"


@dataclass
class World:
    e2e: E2EStack
    fake_url: str
    seeded: env.Seeded
    config: dict[str, str]

    def kiroctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        extra = env.kiroctl_environment(self.config)
        return subprocess.run(
            [str(KIROCTL), "--control-plane", "aws", *args],
            cwd=self.e2e.work_dir,
            env={**os.environ, **self.e2e.env, **extra},
            text=True,
            capture_output=True,
            check=True,
        )

    def control(self, name: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return env.control(self.fake_url, name, body)

    def kiro_records(self) -> dict[str, dict[str, Any]]:
        """The fake's records by user name."""
        names = {u.user_id: n for n, u in self.seeded.users.items()}
        return {names[uid]: r for uid, r in self.control("state")["records"].items()}


#: The fake's switches for each way Kiro is described.
KIRO_AS = {
    "documented": {},
    "reported": {
        "writeFamilies": ["Q_DEVELOPER_STANDALONE"],
        "visibilityDelay": 2.0,
        "replaceProfile": True,
    },
}


@pytest.fixture(params=list(KIRO_AS))
def world(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    moto, moto_url = env.start_moto()
    try:
        env.reset_moto(moto_url)  # moto's state is per Python process, not per server
        seeded = env.seed(moto_url)
        with env.spawn_fake(moto_url) as fake_url:
            env.control(fake_url, "clock", {"now": MID_NOVEMBER})
            env.control(fake_url, "switches", KIRO_AS[request.param])
            config = env.stack_config(env.coordinates(moto_url), fake_url)
            e2e = new_stack(
                PROGRAM,
                tmp_path,
                config=config,
                env={
                    **env.CREDENTIALS,
                    "AWS_ENDPOINT_URL_IDENTITYSTORE": moto_url,
                    "KIRO_SIMULATED_NOW": MID_NOVEMBER,
                },
            )
            yield World(e2e, fake_url, seeded, config)
    finally:
        moto.stop()


def assert_no_drift(world: World) -> None:
    world.e2e.stack.preview(refresh=True, expect_no_changes=True)


def test_aws_control_plane_end_to_end(world: World) -> None:
    stack = world.e2e.stack

    # 1. up: Kiro subscribes alice, bob and the group's members; all Pending.
    up = stack.up()
    assert up.outputs["alice"].value["status"] == "Pending"
    assert {m["user_name"] for m in up.outputs["engineering_members"].value} == {"bob", "carol"}
    assert world.kiro_records()["alice"] == {
        "status": "Pending",
        "effective": "Pro+",
        "pending": None,
    }
    assert not (world.e2e.work_dir / ".kiro").exists()  # the ledger was never opened
    assert_no_drift(world)

    # 2. alice signs in (outside IaC); refresh sees it. Upgrade at once.
    world.control("sign-in", {"userId": world.seeded.users["alice"].user_id})
    stack.refresh()
    assert world.e2e.resource_outputs("alice")["status"] == "Active"
    stack.set_config("aliceTier", auto.ConfigValue("Power"))
    assert stack.up().outputs["alice"].value["effective_tier"] == "Power"

    # 3. downgrade: Kiro holds it until Dec 1; that is not drift.
    stack.set_config("aliceTier", auto.ConfigValue("Pro"))
    alice = stack.up().outputs["alice"].value
    assert (alice["tier"], alice["effective_tier"], alice["pending_tier"]) == (
        "Pro",
        "Power",
        "Pro",
    )
    assert alice["pending_effective_at"] == "2026-12-01T00:00:00Z"
    assert_no_drift(world)

    # 4. an out-of-band plan change (kiroctl on the real profile) is drift; up --refresh restores.
    world.kiroctl("change-plan", "alice", "--tier", "Pro+")
    with pytest.raises(auto.CommandError) as drift:
        stack.preview(refresh=True, expect_no_changes=True)
    assert "alice" in str(drift.value)
    stack.up(refresh=True)
    assert world.kiro_records()["alice"]["pending"] == "Pro"
    users = {row["user_name"]: row for row in json.loads(world.kiroctl("users", "--json").stdout)}
    assert users["alice"]["tier"] == "Pro" and users["carol"]["status"] == "Pending"
    assert_no_drift(world)

    # 5. overages through UpdateProfile; the profile's other settings are kept.
    stack.set_config("overages", auto.ConfigValue("true"))
    assert stack.up().outputs["overages_enabled"].value is True
    state = world.control("state")
    assert state["overages"] is True
    assert state["profile"]["optInFeatures"]["autonomousAgents"] == {"toggle": "ON"}
    assert state["profile"]["activeFunctionalities"]

    # 6. AccessDenied on a plan change: a clear error naming the IAM actions; nothing changed.
    world.control(
        "fail",
        {
            "operation": "UpdateAssignment",
            "code": "AccessDeniedException",
            "status": 403,
            "message": "not authorized",
        },
    )
    stack.set_config("aliceTier", auto.ConfigValue("Power"))
    with pytest.raises(auto.CommandError) as denied:
        stack.up()
    assert "AccessDenied" in str(denied.value) and "q:UpdateAssignment" in str(denied.value)
    assert world.e2e.resource_outputs("alice")["tier"] == "Pro"  # state still matches Kiro
    assert world.kiro_records()["alice"]["pending"] == "Pro"
    assert stack.up().outputs["alice"].value["effective_tier"] == "Power"  # retried: applied

    # 7. Conflict on a create: reported, no resource recorded, Kiro unchanged; then it works.
    world.control(
        "fail",
        {
            "operation": "CreateAssignment",
            "code": "ConflictException",
            "status": 409,
            "message": "Resource is in an invalid state.",
        },
    )
    stack.set_config("daveTier", auto.ConfigValue("Pro"))
    with pytest.raises(auto.CommandError) as conflict:
        stack.up()
    assert "already subscribed" in str(conflict.value)
    deployment: Any = stack.export_stack().deployment
    assert not any(r["urn"].endswith("::dave") for r in deployment["resources"])
    assert "dave" not in world.kiro_records()
    # Throttled twice on the way: retried by botocore, invisible to the user.
    world.control(
        "fail",
        {
            "operation": "ListUserSubscriptions",
            "code": "ThrottlingException",
            "status": 429,
            "times": 2,
        },
    )
    assert stack.up().outputs["dave"].value == "Pending"
    assert_no_drift(world)

    # 8. Validation passes the field on; ResourceNotFound says there is no Kiro profile.
    world.control(
        "fail",
        {
            "operation": "UpdateProfile",
            "code": "ValidationException",
            "status": 400,
            "message": "Invalid opt-in",
            "fields": [{"name": "optInFeatures", "message": "overages not allowed"}],
        },
    )
    stack.set_config("overages", auto.ConfigValue("false"))
    with pytest.raises(auto.CommandError) as invalid:
        stack.up()
    assert "optInFeatures: overages not allowed" in str(invalid.value)
    assert world.e2e.resource_outputs("settings")["overages_enabled"] is True
    assert world.control("state")["overages"] is True
    world.control(
        "fail",
        {"operation": "ListProfiles", "code": "ResourceNotFoundException", "status": 404},
    )
    with pytest.raises(auto.CommandError) as no_profile:
        stack.preview()
    assert "no Kiro profile" in str(no_profile.value)

    # 9. destroy: every seat Canceled, every assignment gone, overages back off.
    stack.destroy()
    assert {r["status"] for r in world.kiro_records().values()} == {"Canceled"}
    state = world.control("state")
    assert state["claims"] == [] and state["overages"] is False
