"""Who may change an assignment: the ownership rules of the ControlPlane protocol.

One rule and one message wherever it is applied: by a control plane when it writes, and by the
resources at preview (so a clash fails ``pulumi preview``, not halfway through ``up``).
"""

from __future__ import annotations

from typing import Protocol

from kiro_provider.errors import ConflictError


class Owned(Protocol):
    """An assignment as found: a direct one or a group assignment, with its owner."""

    @property
    def owner(self) -> str | None: ...


def resolve_owner(
    exists: bool, current: str | None, owner: str | None, adopt: bool, what: str, field: str
) -> str | None:
    """The owner an assignment has after a write by ``owner``; ConflictError when refused.

    - nothing there yet: ``owner`` takes it;
    - ``owner`` None (an administrator at the console): allowed, the current owner stays;
    - the same owner: allowed (an interrupted create completes);
    - no current owner (made in the console): allowed with ``adopt``, which takes it over;
    - another owner: refused, naming it.

    ``what`` describes the assignment for the message: ``assignment_subject(...)``.
    """
    if not exists:
        return owner
    if owner is None or current == owner:
        return current
    if current is None:
        if adopt:
            return owner
        raise ConflictError(
            f"{field}: {what} already has an assignment made outside Pulumi (no owner); "
            "set adopt=True (the resource's `adopt` input) to take it over, or remove it first",
            field=field,
        )
    raise ConflictError(
        f"{field}: {what} is already managed by {current!r}; remove it there first "
        f"(requested by {owner!r})",
        field=field,
    )


def assignment_subject(field: str, name: str, profile: str) -> str:
    """How ownership messages name an assignment: ``user 'alice' in profile 'default'``
    (``field`` is ``user`` or ``group``; ``name`` the directory's user or group name)."""
    return f"{field} {name!r} in profile {profile!r}"


def resolve_claim(
    current: Owned | None, field: str, name: str, profile: str, *, owner: str | None, adopt: bool
) -> str | None:
    """``resolve_owner`` for the ``field`` (``user`` or ``group``) assignment named ``name`` in
    ``profile``, found as ``current`` (None when there is none yet)."""
    return resolve_owner(
        current is not None,
        current.owner if current else None,
        owner,
        adopt,
        assignment_subject(field, name, profile),
        field,
    )
