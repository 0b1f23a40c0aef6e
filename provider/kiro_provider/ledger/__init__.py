"""The embedded ledger: one SQLite file holding profiles, the ledger-held directory,
subscriptions, assignments, settings and the history of every change.

- ``open_ledger(path)`` opens (creating, migrating) a ledger file and returns a ``Ledger``;
- ``LedgerDirectory(ledger)`` is the Directory port over the users and groups it holds;
- ``LedgerControlPlane(ledger, directory, clock)`` is the ControlPlane protocol: the domain
  rules R1-R9 applied to records stored in the ledger.

All SQL of pulumi-kiro lives in this package.
"""

from kiro_provider.ledger.controlplane import LedgerControlPlane
from kiro_provider.ledger.directory import LedgerDirectory
from kiro_provider.ledger.store import Ledger, open_ledger

__all__ = ["Ledger", "LedgerControlPlane", "LedgerDirectory", "open_ledger"]
