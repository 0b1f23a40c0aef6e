"""Helpers shared by the ledger tests: read the file with a plain sqlite3 connection."""

from __future__ import annotations

import sqlite3
from typing import Any

from kiro_provider.ledger import Ledger


def rows(ledger: Ledger, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The rows ``sql`` returns, read outside the ledger's own connections."""
    conn = sqlite3.connect(ledger.path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def history(ledger: Ledger, entity: str | None = None) -> list[tuple[Any, ...]]:
    """``(at, actor, entity, action, subject)`` of each history entry, oldest first."""
    sql = "SELECT at, actor, entity, action, subject FROM history"
    if entity is None:
        return rows(ledger, sql + " ORDER BY id")
    return rows(ledger, sql + " WHERE entity = ? ORDER BY id", (entity,))


def snapshot(ledger: Ledger) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, to prove an operation changed nothing."""
    tables = [r[0] for r in rows(ledger, "SELECT name FROM sqlite_master WHERE type='table'")]
    return {t: sorted(rows(ledger, f"SELECT * FROM {t}"), key=repr) for t in sorted(tables)}
