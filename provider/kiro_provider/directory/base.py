"""The directory port: how the control plane looks up users, groups and memberships."""

from __future__ import annotations

from typing import Protocol

from kiro_provider.controlplane import Group, User


class Directory(Protocol):
    """Read access to users, groups and memberships.

    Adapters: ``kiro_provider.ledger.LedgerDirectory`` (held in the embedded ledger) and
    ``kiro_provider.directory.identitycenter.IdentityCenterDirectory`` (AWS IAM Identity Center).
    Unknown references raise ``kiro_provider.errors.NotFoundError`` naming the field and value.
    """

    def find_user(self, ref: str) -> User:
        """The user whose user id, user name or email is ``ref`` (tried in that order)."""
        ...

    def get_user(self, user_id: str) -> User:
        """The user with this canonical id."""
        ...

    def find_group(self, ref: str) -> Group:
        """The group whose group id or display name is ``ref``."""
        ...

    def get_group(self, group_id: str) -> Group:
        """The group with this canonical id."""
        ...

    def members(self, group_id: str) -> tuple[User, ...]:
        """The group's current members (every page), ordered by user name."""
        ...
