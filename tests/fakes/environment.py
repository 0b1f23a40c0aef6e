"""A local AWS for the adapter's tests: IAM Identity Center under moto_server and the fake Kiro
service, both HTTP on 127.0.0.1, plus the stack config that points the adapter at them.

Used in-process by the unit and contract tests (threads) and, through ``spawn_fake``, by the
e2e test (the fake as a subprocess, like a real endpoint the provider process calls).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from kiro_provider.aws.snapshot import clear_snapshots
from kiro_provider.config import ENVIRONMENT_BY_KEY
from kiro_provider.controlplane import Group, User
from tests.fakes.kiro_model import Coordinates

REPO = Path(__file__).resolve().parents[2]
STORE_ID = "d-9067a1b2c3"
REGION = "us-east-1"
#: Test credentials: the adapter signs with them; the fake checks the signature's scope.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAKIROFAKE00000000",
    "AWS_SECRET_ACCESS_KEY": "kiro-fake-secret",
    "AWS_DEFAULT_REGION": REGION,
}
#: Who is in the directory: user names, and groups with their members.
USERS = ("alice", "bob", "carol", "dave")
GROUPS = {"engineering": ("bob", "carol"), "design": ("dave",)}


@dataclass
class Seeded:
    users: dict[str, User]
    groups: dict[str, Group]


def start_moto() -> tuple[ThreadedMotoServer, str]:
    # moto_server logs every request through werkzeug; tests and benchmarks need none of it.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def reset_moto(url: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).read()


def identitystore(url: str) -> Any:
    return boto3.client(
        "identitystore",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def create_user(admin: Any, name: str) -> str:
    """Add user ``name`` (email ``name@example.com``) to the identity store; its id."""
    user_id: str = admin.create_user(
        IdentityStoreId=STORE_ID,
        UserName=name,
        DisplayName=name,
        Name={"GivenName": name, "FamilyName": "Test"},
        Emails=[{"Value": f"{name}@example.com", "Primary": True}],
    )["UserId"]
    return user_id


def seed(url: str) -> Seeded:
    """Create USERS and GROUPS in the moto identity store."""
    admin = identitystore(url)
    users = {}
    for name in USERS:
        users[name] = User(create_user(admin, name), name, f"{name}@example.com")
    groups = {}
    for name, members in GROUPS.items():
        group_id = admin.create_group(IdentityStoreId=STORE_ID, DisplayName=name)["GroupId"]
        for member in members:
            add_member(url, group_id, users[member].user_id)
        groups[name] = Group(group_id, name)
    return Seeded(users, groups)


def seed_many(url: str, users: int, groups: Mapping[str, int]) -> dict[str, str]:
    """Users user-00000... and groups whose members are the first ``n`` of them, in the moto
    identity store (for scale tests and benchmarks); user ids by user name."""
    admin = identitystore(url)
    ids = {}
    for i in range(users):
        name = f"user-{i:05d}"
        ids[name] = create_user(admin, name)
    for group, members in groups.items():
        group_id = admin.create_group(IdentityStoreId=STORE_ID, DisplayName=group)["GroupId"]
        for i in range(members):
            add_member(url, group_id, ids[f"user-{i:05d}"])
    return ids


def calls_by_operation(fake_url: str) -> dict[str, int]:
    """How many calls the fake has served, by operation (throttled ones included)."""
    found: dict[str, int] = {}
    for call in control(fake_url, "state", {"brief": True})["calls"]:
        operation = call["target"].partition(".")[2]
        found[operation] = found.get(operation, 0) + 1
    return found


#: Kiro's listing operations (what a drift check pays for).
LISTINGS = ("ListProfiles", "ListUserSubscriptions", "ListApplicationClaims")


def add_member(url: str, group_id: str, user_id: str) -> None:
    identitystore(url).create_group_membership(
        IdentityStoreId=STORE_ID, GroupId=group_id, MemberId={"UserId": user_id}
    )


def coordinates(moto_url: str) -> Coordinates:
    return Coordinates(
        identity_store_id=STORE_ID, identity_center_region=REGION, identitystore_endpoint=moto_url
    )


def stack_config(where: Coordinates, fake_url: str) -> dict[str, str]:
    """The ``kiro:*`` stack config that selects the aws control plane against the fake."""
    return {
        "kiro:controlPlane": "aws",
        "kiro:kiroRegion": where.kiro_region,
        "kiro:identityCenterInstanceArn": where.instance_arn,
        "kiro:identityCenterRegion": where.identity_center_region,
        "kiro:applicationArn": where.application_arn,
        "kiro:identityStoreId": where.identity_store_id,
        "kiro:identityStoreRegion": where.identity_center_region,
        "kiro:qEndpoint": fake_url,
        "kiro:userSubscriptionsEndpoint": fake_url,
        "kiro:codewhispererEndpoint": fake_url,
    }


def kiroctl_environment(config: Mapping[str, str]) -> dict[str, str]:
    """The stack config as the environment variables kiroctl reads in its place."""
    return {ENVIRONMENT_BY_KEY[key]: value for key, value in config.items()}


def control(fake_url: str, name: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """POST a test control to the fake (``fail``, ``sign-in``, ``clock``, ``plan``, ``state``)."""
    request = urllib.request.Request(
        f"{fake_url}/_fake/{name}",
        data=json.dumps(dict(body or {})).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        result: dict[str, Any] = json.loads(response.read())
    if name != "state":
        # A change made behind the adapter's back: a new process would list Kiro again, so
        # this one (when the adapter runs in it) forgets what it listed.
        clear_snapshots()
    return result


@contextmanager
def spawn_fake(moto_url: str, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """The fake as a subprocess on a free port of 127.0.0.1; yields its URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.kiro_service",
            "--identity-store-id",
            STORE_ID,
            "--identity-center-region",
            REGION,
            "--identitystore-endpoint",
            moto_url,
        ],
        cwd=REPO,
        env={**os.environ, **CREDENTIALS, **(env or {})},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("listening on "):
            raise RuntimeError(f"the fake Kiro service did not start: {line!r}")
        yield line.removeprefix("listening on ").strip()
    finally:
        process.terminate()
        process.wait(timeout=10)
