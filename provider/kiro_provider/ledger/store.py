"""The ledger file: opening, validating, migrating, and one transaction per operation.

No statement on the ledger's rows is written here (tables.py holds them all): only the file's
own settings (PRAGMAs), the schema's migration scripts and the transactions.

A ``Ledger`` is only a path: it holds no connection and no lock, so it can be pickled (Pulumi
pickles providers) and shared between threads. Connections live in a module-level cache, one per
thread, process and path; SQLite's own locking (WAL, ``BEGIN IMMEDIATE``, a generous busy
timeout) serialises writers across threads and processes.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from kiro_provider.controlplane import DEFAULT_PROFILE
from kiro_provider.errors import LedgerError, ValidationError, shown
from kiro_provider.ledger import tables
from kiro_provider.ledger.schema import MIGRATIONS, SCHEMA_VERSION

#: How long a writer waits for another writer (thread or process) before giving up.
BUSY_TIMEOUT_S = 60.0
#: The actor recorded for changes the ledger makes by itself (creating the default profile).
SYSTEM_ACTOR = "kiro"

_SQLITE_MAGIC = b"SQLite format 3\x00"
_SQLITE_HEADER_SIZE = 100
_PROFILE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")

# Per-thread connections keyed by (pid, path): a forked child never reuses its parent's.
_local = threading.local()
# Paths validated and migrated in this process (guarded by _opened_lock).
_opened: set[tuple[int, str]] = set()
_opened_lock = threading.Lock()


def validate_profile_name(name: object) -> str:
    """``name`` if it is a valid profile name, else ValidationError saying what is valid."""
    if not isinstance(name, str) or not _PROFILE_NAME.fullmatch(name):
        raise ValidationError(
            f"profile: {shown(name)} is not a valid profile name; use 1-63 characters a-z, 0-9 "
            "and '-', starting with a letter or digit",
            field="profile",
        )
    return name


@dataclass(frozen=True)
class Ledger:
    """An embedded ledger file. Obtain one with ``open_ledger`` (which validates the file)."""

    path: str

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): committed when the block ends, rolled
        back when it raises. Writers in other threads and processes wait their turn."""
        with self._transaction("BEGIN IMMEDIATE") as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: a consistent snapshot. Inside a running transaction of this
        thread, joins it instead."""
        conn = _connection(self.path)
        if conn.in_transaction:
            yield conn
            return
        with self._transaction("BEGIN") as conn:
            yield conn

    def statement(self) -> sqlite3.Connection:
        """This thread's connection, for one statement: outside a transaction a statement is a
        consistent snapshot by itself, without the round trips of BEGIN and COMMIT (inside a
        running transaction of this thread it joins that transaction)."""
        return _connection(self.path)

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        conn = _connection(self.path)
        if conn.in_transaction:
            raise RuntimeError("ledger transactions do not nest")
        conn.execute(begin)
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    def profiles(self) -> tuple[str, ...]:
        """Names of the profiles in the ledger, sorted."""
        return tables.profile_names(self.statement())

    def create_profile(self, name: str, *, actor: str = SYSTEM_ACTOR) -> str:
        """Register profile ``name`` (idempotent); ValidationError for an invalid name."""
        validate_profile_name(name)
        with self.write() as conn:
            tables.insert_profile(conn, name, actor, datetime.now(timezone.utc))
        return name

    def schema_version(self) -> int:
        """The schema version of the file."""
        with self.read() as conn:
            return tables.schema_version(conn)


def open_ledger(path: str | os.PathLike[str]) -> Ledger:
    """Open (creating if absent) the ledger at ``path`` and bring its schema up to date.

    The file is created with mode 0600 and its parent directories as needed. An empty path or
    a directory is a ValidationError; a file that is not a ledger, is damaged, or has a newer
    schema is a LedgerError, and is left exactly as it was.
    """
    if isinstance(path, str) and (os.getpid(), path) in _opened:
        return Ledger(path)  # checked and migrated already: a provider opens it for every call
    resolved = _validate_path(path)
    key = (os.getpid(), resolved)
    with _opened_lock:
        if key not in _opened:
            _create_file(resolved)
            _check_file(resolved)
            _migrate(resolved)
            _opened.add(key)
    return Ledger(resolved)


def _validate_path(path: str | os.PathLike[str]) -> str:
    text = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
    if not text or not str(text).strip():
        raise ValidationError(f"ledger: {path!r} is not a file path", field="ledger")
    resolved = Path(text).expanduser().absolute()
    if resolved.is_dir():
        raise ValidationError(
            f"ledger: {str(resolved)!r} is a directory; expected a ledger file path",
            field="ledger",
        )
    return str(resolved)


def _create_file(path: str) -> None:
    """Create an empty file with mode 0600 (before SQLite does, with its own mode)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
    finally:
        os.close(fd)


def _check_file(path: str) -> None:
    """LedgerError unless ``path`` is empty or an intact SQLite file; reads only."""
    size = os.path.getsize(path)
    if size == 0:
        return
    with open(path, "rb") as f:
        header = f.read(_SQLITE_HEADER_SIZE)
    if not header.startswith(_SQLITE_MAGIC):
        raise LedgerError(f"ledger: {path} is not a ledger (not an SQLite database)")
    if len(header) < _SQLITE_HEADER_SIZE:
        raise LedgerError(f"ledger: {path} is truncated ({size} bytes); not a usable ledger")
    try:
        problems = _quick_check(path)
    except sqlite3.DatabaseError as exc:
        raise LedgerError(f"ledger: {path} is damaged or not a ledger: {exc}") from exc
    if problems != ["ok"]:
        raise LedgerError(f"ledger: {path} is damaged: {problems[0]}")


def _quick_check(path: str) -> list[str]:
    """SQLite's structural check of the file (reads only)."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        return [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
    finally:
        conn.close()


def _migrate(path: str) -> None:
    """Refuse a foreign or newer file; otherwise apply the missing migrations atomically."""
    conn = _cached_connection(path)
    try:
        _read_existing_version(conn, path)  # refuse before writing anything, even WAL mode
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("BEGIN IMMEDIATE")
        version = _read_existing_version(conn, path)
        for script in MIGRATIONS[version:]:
            for statement in _statements(script):
                conn.execute(statement)
        if version < SCHEMA_VERSION:
            _record_version(conn, version)
        conn.commit()
    except sqlite3.DatabaseError as exc:
        conn.rollback()
        raise LedgerError(f"ledger: {path} could not be opened: {exc}") from exc
    except BaseException:
        conn.rollback()
        raise


def _read_existing_version(conn: sqlite3.Connection, path: str) -> int:
    names = tables.table_names(conn)
    if not names:
        return 0
    if "schema_version" not in names:
        raise LedgerError(f"ledger: {path} is an SQLite database but not a ledger")
    version = tables.schema_version(conn)
    if version > SCHEMA_VERSION:
        raise LedgerError(
            f"ledger: {path} has schema version {version}, newer than this release supports "
            f"({SCHEMA_VERSION}); upgrade pulumi-kiro to use it"
        )
    return version


def _record_version(conn: sqlite3.Connection, previous: int) -> None:
    tables.set_schema_version(conn, SCHEMA_VERSION)
    if previous == 0:
        tables.insert_profile(conn, DEFAULT_PROFILE, SYSTEM_ACTOR, datetime.now(timezone.utc))


def _statements(script: str) -> list[str]:
    """The script's statements, one by one (``executescript`` would commit on its own)."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return statements


def _connection(path: str) -> sqlite3.Connection:
    """This thread's connection to ``path``, the file validated and migrated in this process
    first (a Ledger unpickled in another process never skips ``open_ledger``'s checks)."""
    if (os.getpid(), path) not in _opened:
        open_ledger(path)
    return _cached_connection(path)


def _cached_connection(path: str) -> sqlite3.Connection:
    """This thread's connection to ``path`` (created on first use)."""
    cache: dict[tuple[int, str], sqlite3.Connection] | None = getattr(_local, "conns", None)
    if cache is None:
        cache = _local.conns = {}
    key = (os.getpid(), path)
    conn = cache.get(key)
    if conn is None:
        conn = cache[key] = _new_connection(path)
    return conn


def _new_connection(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def close_connections() -> None:
    """Close this thread's cached connections (tests; threads that are about to end)."""
    cache: dict[tuple[int, str], sqlite3.Connection] = getattr(_local, "conns", {})
    for conn in cache.values():
        conn.close()
    cache.clear()


def forget_opened() -> None:
    """Forget which paths this process validated (tests that rewrite a file in place)."""
    with _opened_lock:
        _opened.clear()
