"""The plugin tests run on the resource tests' world: a ledger with alice, bob, carol and the
group engineering (alice, carol), reached through KIRO_LEDGER as the providers reach it."""

from tests.unit.resources.conftest import World, world

__all__ = ["World", "world"]
