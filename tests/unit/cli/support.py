"""Helpers shared by the kiroctl tests."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Result:
    """What one kiroctl run printed and returned."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)


#: ``run("users", "--json")`` runs kiroctl on the test's ledger.
Run = Callable[..., Result]


def dump(path: Path) -> list[str]:
    """A logical dump of the ledger (every row of every table), to prove nothing changed."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()
