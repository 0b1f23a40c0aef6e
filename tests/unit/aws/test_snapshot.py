"""One listing of Kiro per process: reads share it, writes update or drop it, it ages out, and
concurrent first reads list once. Counted at the fake, which sees every call."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from kiro_provider.aws import AwsControlPlane, snapshot
from kiro_provider.aws.snapshot import Listing, clear_snapshots
from kiro_provider.config import load_config
from kiro_provider.domain.tiers import Status, Tier
from kiro_provider.errors import ValidationError
from tests.fakes import environment as env
from tests.fakes.kiro_service import FakeServer

LISTINGS = ("ListUserSubscriptions", "ListApplicationClaims", "ListProfiles")


def calls(fake: FakeServer) -> Counter[str]:
    """Calls the fake served, by operation."""
    return Counter(c["target"].partition(".")[2] for c in fake.state.calls)


def listings(fake: FakeServer) -> dict[str, int]:
    found = calls(fake)
    return {name: found[name] for name in LISTINGS}


@pytest.fixture
def subscribed(cp: AwsControlPlane, seeded: env.Seeded, fake: FakeServer) -> AwsControlPlane:
    """alice and bob subscribed directly, engineering (bob, carol) as a group; then a new
    process's empty snapshot and an empty call log."""
    cp.subscribe_user("default", seeded.users["alice"].user_id, Tier.PRO_PLUS, owner=None)
    cp.subscribe_user("default", seeded.users["bob"].user_id, Tier.PRO, owner=None)
    cp.subscribe_group("default", seeded.groups["engineering"].group_id, Tier.PRO, owner=None)
    clear_snapshots()
    fake.state.calls.clear()
    return cp


def test_every_read_of_a_run_is_answered_from_one_listing(
    subscribed: AwsControlPlane, seeded: env.Seeded, fake: FakeServer
) -> None:
    cp = subscribed
    for name in ("alice", "bob", "carol", "dave"):
        cp.describe_user("default", seeded.users[name].user_id)
    cp.describe_group("default", seeded.groups["engineering"].group_id)
    cp.list_users("default")
    cp.list_groups("default")
    cp.get_settings("default")
    assert listings(fake) == {name: 1 for name in LISTINGS}


def test_a_read_after_a_write_shows_the_write(
    subscribed: AwsControlPlane, seeded: env.Seeded, fake: FakeServer
) -> None:
    cp, alice = subscribed, seeded.users["alice"].user_id
    dave = seeded.users["dave"].user_id
    assert cp.describe_user("default", dave) is None  # the listing is now kept

    cp.subscribe_user("default", dave, Tier.POWER, owner=None)
    view = cp.describe_user("default", dave)
    assert view is not None and view.tier is Tier.POWER and view.direct is not None

    env.control(fake.url, "sign-in", {"userId": alice})  # Kiro changes plans of Active users
    cp.subscribe_user("default", alice, Tier.POWER, owner=None)
    upgraded = cp.describe_user("default", alice)
    assert upgraded is not None and upgraded.effective_tier is Tier.POWER

    cp.unsubscribe_user("default", dave)
    canceled = cp.describe_user("default", dave)
    assert canceled is not None and canceled.status is Status.CANCELED

    cp.unsubscribe_group("default", seeded.groups["engineering"].group_id)
    assert cp.describe_group("default", seeded.groups["engineering"].group_id) is None
    carol = cp.describe_user("default", seeded.users["carol"].user_id)
    assert carol is not None and carol.status is Status.CANCELED

    cp.update_settings("default", overages_enabled=True)
    assert cp.get_settings("default").overages_enabled is True


def test_a_write_costs_one_listing_of_records_not_a_new_snapshot(
    subscribed: AwsControlPlane, seeded: env.Seeded, fake: FakeServer
) -> None:
    cp = subscribed
    cp.describe_user("default", seeded.users["alice"].user_id)
    cp.subscribe_user("default", seeded.users["dave"].user_id, Tier.PRO, owner=None)
    cp.describe_user("default", seeded.users["dave"].user_id)
    # The claim written is known exactly; the records are Kiro's to recompute: listed again.
    assert listings(fake) == {
        "ListUserSubscriptions": 2,
        "ListApplicationClaims": 1,
        "ListProfiles": 1,
    }


def test_a_kept_listing_ages_out(
    subscribed: AwsControlPlane,
    seeded: env.Seeded,
    fake: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr(snapshot, "_clock", lambda: now[0])
    alice = seeded.users["alice"].user_id
    subscribed.describe_user("default", alice)
    now[0] += subscribed.snapshot_max_age - 1
    subscribed.describe_user("default", alice)
    assert listings(fake)["ListUserSubscriptions"] == 1
    now[0] += 2
    subscribed.describe_user("default", alice)
    assert listings(fake) == {name: 2 for name in LISTINGS}


def test_concurrent_first_reads_list_once(
    subscribed: AwsControlPlane, seeded: env.Seeded, fake: FakeServer
) -> None:
    env.control(fake.url, "manners", {"latency": 0.05})  # so the reads overlap
    start = threading.Barrier(8)
    users = [u.user_id for u in seeded.users.values()]

    def read(worker: int) -> Status | None:
        start.wait()
        view = subscribed.describe_user("default", users[worker % len(users)])
        return view.status if view else None

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(read, range(8)))
    assert statuses.count(Status.PENDING) == 6  # alice, bob and carol, twice; dave has none
    assert listings(fake) == {name: 1 for name in LISTINGS}


def test_max_age_zero_lists_on_every_read(
    subscribed: AwsControlPlane, seeded: env.Seeded, fake: FakeServer
) -> None:
    subscribed.snapshot_max_age = 0.0
    for _ in range(3):
        subscribed.describe_user("default", seeded.users["alice"].user_id)
    assert listings(fake)["ListUserSubscriptions"] == 3


def test_a_listing_under_way_during_a_write_is_not_kept() -> None:
    kept: Listing[str] = Listing()
    loading, release = threading.Event(), threading.Event()

    def slow_load() -> str:
        loading.set()
        release.wait(5)
        return "before the write"

    reader = threading.Thread(target=kept.get, args=(slow_load, 60.0))
    reader.start()
    loading.wait(5)
    kept.drop()  # a write lands while the listing is under way
    release.set()
    reader.join(5)
    assert kept.get(lambda: "after the write", 60.0) == "after the write"


def test_snapshot_max_age_is_a_setting() -> None:
    assert load_config({}, {}).snapshot_max_age == 30.0
    assert load_config({"kiro:snapshotMaxAge": "5"}, {}).snapshot_max_age == 5.0
    assert load_config({}, {"KIRO_SNAPSHOT_MAX_AGE": "0"}).snapshot_max_age == 0.0
    for bad in ("-1", "soon", "nan"):
        with pytest.raises(ValidationError, match="kiro:snapshotMaxAge"):
            load_config({"kiro:snapshotMaxAge": bad}, {})


def test_calls_ride_through_the_rate_limit(
    cp: AwsControlPlane, seeded: env.Seeded, fake: FakeServer
) -> None:
    # A limit far below what four threads ask: some calls are refused with 429, retried with
    # backoff, and every operation still succeeds.
    env.control(fake.url, "manners", {"rate": 4, "burst": 2})
    users = [u.user_id for u in seeded.users.values()]

    def subscribe(user_id: str) -> Status:
        return cp.subscribe_user("default", user_id, Tier.PRO, owner=None).status

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(subscribe, users)) == [Status.PENDING] * len(users)
    assert any(c["status"] == 429 for c in fake.state.calls)
