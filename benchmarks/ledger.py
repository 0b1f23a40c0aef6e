"""The embedded ledger next to raw SQLite, and a group of 10,000 members (embedded directory and
IAM Identity Center under moto). Reuses scripts/measure-ledger's measurements."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from kiro_provider.domain.tiers import Tier
from kiro_provider.ledger import LedgerControlPlane, LedgerDirectory, open_ledger
from tests.e2e.harness import REPO

STORE = "d-90675f1a2b"
REGION = "us-east-1"


def measure_ledger_script() -> ModuleType:
    """scripts/measure-ledger as a module (it has no .py suffix, so load it by path)."""
    path = str(REPO / "scripts" / "measure-ledger")
    loader = importlib.machinery.SourceFileLoader("measure_ledger", path)
    spec = importlib.util.spec_from_loader("measure_ledger", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@dataclass
class LedgerRates:
    """Operations per second, single-threaded."""

    raw_tx: float
    subscribe_user: float
    describe_user: float


def measure_rates(ops: int) -> LedgerRates:
    """measure-ledger's raw transaction, subscribe_user and describe_user rates."""
    ml = measure_ledger_script()
    tiers = list(Tier)
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as tmp:
        raw = ml._rate(ops, ml._raw_transaction(Path(tmp) / "raw.db"))
        cp, ids = ml._control_plane(Path(tmp) / "ledger.db", 100)
        n = len(ids)
        subscribe = ml._rate(
            ops,
            lambda i: cp.subscribe_user("default", ids[i % n], tiers[(i // n) % 3], owner=None),
        )
        describe = ml._rate(ops, lambda i: cp.describe_user("default", ids[i % n]))
    return LedgerRates(raw, subscribe, describe)


def group_embedded(members: int) -> float:
    """Seconds to subscribe a group of ``members`` held by the ledger's own directory."""
    ml = measure_ledger_script()
    with tempfile.TemporaryDirectory(prefix="bench-group-") as tmp:
        cp, ids = ml._control_plane(Path(tmp) / "group.db", members)
        assert isinstance(cp.directory, LedgerDirectory)
        group = cp.directory.add_group("everyone", ids)
        return _time_group(cp, group.group_id, members)


def group_identity_center(members: int) -> float:
    """Seconds to subscribe a group of ``members`` held by IAM Identity Center (moto, in
    process). The store is seeded through moto's backend (seeding is not what is measured);
    the subscription reads it through boto3 like a real run: paginated memberships and users."""
    from moto import mock_aws

    from kiro_provider.directory.identitycenter import IdentityCenterDirectory, clear_cache

    with mock_aws(), tempfile.TemporaryDirectory(prefix="bench-group-ic-") as tmp:
        clear_cache()
        group_id = _seed_moto(members)
        ledger = open_ledger(str(Path(tmp) / "group.db"))
        directory = IdentityCenterDirectory(STORE, REGION)
        now = measure_ledger_script().NOW
        cp = LedgerControlPlane(ledger, directory, lambda: now)
        try:
            return _time_group(cp, group_id, members)
        finally:
            clear_cache()


def _time_group(cp: LedgerControlPlane, group_id: str, members: int) -> float:
    started = time.perf_counter()
    result = cp.subscribe_group("default", group_id, Tier.PRO, owner="bench")
    seconds = time.perf_counter() - started
    assert result.member_count == members, result.member_count
    return seconds


def _seed_moto(members: int) -> str:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.identitystore.models import identitystore_backends

    backend: Any = identitystore_backends[DEFAULT_ACCOUNT_ID][REGION]
    group_id, _ = backend.create_group(STORE, "everyone", "bench")
    for i in range(members):
        name = f"user-{i:05d}"
        user_id, _ = backend.create_user(
            STORE, name, {"GivenName": name, "FamilyName": "Bench"}, name, None, None,
            [{"Value": f"{name}@example.com", "Primary": True}], None, None, None, None, None,
            None, None,
        )  # fmt: skip
        backend.create_group_membership(STORE, group_id, {"UserId": user_id})
    return str(group_id)
