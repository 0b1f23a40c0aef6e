"""What one process has listed of Kiro (profiles, claims and subscription records, kept so
that a run lists each once) and learned of it (which plan names it accepts on write).

Kiro's API has no call that reads one user's subscription or one principal's claim: every read
lists the whole instance. A ``pulumi preview --refresh`` of N resources reads N times from one
provider process (up to four gRPC threads at once), so each listing is kept and shared:

- The first read lists (every page); concurrent first reads wait for that one listing.
- A kept listing serves reads for at most ``max_age`` seconds (a long-lived process such as
  kiroctl or the plugin must not serve stale data forever).
- Every write of this process updates the kept listing (a claim it wrote is known exactly) or
  drops it (subscription records are what Kiro makes of the claims). A read that starts after a
  write never gets a listing that started before it: each write bumps a generation, and a
  listing is only served to reads of its generation or older.

Per process, module level, keyed by the ``KiroService`` (which endpoint, instance and region):
nothing here is pickled into Pulumi state.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from kiro_provider.aws.wire import ForeignPlanRecord, WireClaim, WireProfile, WireSubscription
from kiro_provider.config import SNAPSHOT_MAX_AGE_SECONDS
from kiro_provider.errors import KiroError

T = TypeVar("T")

#: How long a listing is served, by default (stack config ``kiro:snapshotMaxAge``).
DEFAULT_MAX_AGE_SECONDS = SNAPSHOT_MAX_AGE_SECONDS

# Monotonic clock for the age bound; a module attribute so tests can move time.
_clock: Callable[[], float] = time.monotonic


class Listing(Generic[T]):
    """One kept listing: loaded once for concurrent readers, bounded in age, and never older
    than the last write a reader could have seen."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._value: T | None = None
        #: Bumped by every write of this process.
        self._generation = 0
        #: The generation the kept value is current for; its load's start time.
        self._value_generation = -1
        self._value_time = 0.0
        self._loading = False

    def get(self, load: Callable[[], T], max_age: float) -> T:
        """The kept value if it is current and young enough, else a new ``load()`` (one at a
        time: other readers wait for it rather than listing again)."""
        with self._cond:
            wanted = self._generation
            while True:
                if (
                    self._value is not None
                    and self._value_generation >= wanted
                    and _clock() - self._value_time < max_age
                ):
                    return self._value
                if not self._loading:
                    break
                self._cond.wait()
            self._loading = True
            generation, started = self._generation, _clock()
        try:
            value = load()
        finally:
            with self._cond:
                self._loading = False
                self._cond.notify_all()
        with self._cond:
            # A write during the load makes this listing older than the write: kept only if
            # nothing newer is (the write bumped the generation, so no later reader takes it).
            if generation >= self._value_generation:
                self._value, self._value_generation, self._value_time = value, generation, started
        return value

    def drop(self) -> None:
        """A write Kiro answers with records we cannot predict: the next read lists again."""
        with self._cond:
            self._generation += 1

    def change(self, apply: Callable[[T], T]) -> None:
        """A write whose effect is known exactly: applied to the kept value, which stays
        current; a listing under way (it started before the write) is not kept."""
        with self._cond:
            self._generation += 1
            if self._value is not None:
                self._value = apply(self._value)
                self._value_generation = self._generation


#: Claims by (principal type, principal id): each parsed, or the error its plan raised.
ClaimsByPrincipal = Mapping[tuple[str, str], WireClaim | KiroError]
#: Subscription records by user id: each parsed (or kept with a plan this release does not
#: know), or the error reading it raised.
RecordsByUser = Mapping[str, WireSubscription | ForeignPlanRecord | KiroError]


@dataclass
class Snapshot:
    """Profiles, claims and subscription records of one Kiro instance, each kept apart (a
    profile setting's check needs only the profiles)."""

    profiles: Listing[tuple[WireProfile, ...]] = field(default_factory=Listing)
    claims: Listing[ClaimsByPrincipal] = field(default_factory=Listing)
    subscriptions: Listing[RecordsByUser] = field(default_factory=Listing)
    #: The plan-name family Kiro last accepted on a write (None: none written yet).
    plan_family: str | None = None


_snapshots: dict[object, Snapshot] = {}
_snapshots_lock = threading.Lock()


def snapshot_for(key: object) -> Snapshot:
    """The process's snapshot of the Kiro instance ``key`` names (made empty on first use)."""
    with _snapshots_lock:
        found = _snapshots.get(key)
        if found is None:
            found = _snapshots[key] = Snapshot()
        return found


def clear_snapshots() -> None:
    """Forget every listing of this process (what a new process starts with; for tests)."""
    with _snapshots_lock:
        _snapshots.clear()
