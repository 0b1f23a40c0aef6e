"""The ledger file: creation, mode, migrations, refusal of foreign or newer files, profiles."""

from __future__ import annotations

import os
import pickle
import sqlite3
import stat
from pathlib import Path

import pytest

from kiro_provider.errors import LedgerError, NotFoundError, ValidationError
from kiro_provider.ledger import Ledger, LedgerDirectory, open_ledger
from kiro_provider.ledger.schema import MIGRATIONS, SCHEMA_VERSION
from kiro_provider.ledger.store import close_connections, forget_opened


def test_new_file_is_created_with_mode_0600_and_parents(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        ledger = open_ledger(tmp_path / "a" / "b" / "ledger.db")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(os.stat(ledger.path).st_mode) == 0o600
    assert ledger.profiles() == ("default",)


def test_new_file_is_wal_at_the_current_schema(ledger: Ledger) -> None:
    conn = sqlite3.connect(ledger.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    assert ledger.schema_version() == SCHEMA_VERSION == len(MIGRATIONS)


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    LedgerDirectory(open_ledger(path)).add_user("alice")
    close_connections()
    forget_opened()
    ledger = open_ledger(path)
    assert LedgerDirectory(ledger).find_user("alice").user_name == "alice"
    assert ledger.schema_version() == SCHEMA_VERSION


def test_a_file_from_a_newer_release_is_refused_and_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    open_ledger(path)
    close_connections()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.close()
    forget_opened()
    before = path.read_bytes()
    with pytest.raises(LedgerError) as err:
        open_ledger(path)
    message = str(err.value)
    assert str(path) in message
    assert f"schema version {SCHEMA_VERSION + 1}" in message
    assert f"supports ({SCHEMA_VERSION})" in message
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "content",
    [b"this is not a database\n" * 100, b"SQLite format 3\x00" + b"\x00" * 10, os.urandom(8192)],
    ids=["text", "short-header", "random"],
)
def test_a_file_that_is_not_a_ledger_is_refused_and_unchanged(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "ledger.db"
    path.write_bytes(content)
    with pytest.raises(LedgerError, match=r"ledger.db"):
        open_ledger(path)
    assert path.read_bytes() == content


def test_a_truncated_ledger_is_refused_and_unchanged(tmp_path: Path) -> None:
    source = tmp_path / "full.db"
    directory = LedgerDirectory(open_ledger(source))
    directory.add_users([(f"user-{i:04d}", None) for i in range(2000)])
    close_connections()  # the last connection checkpoints the WAL into the file
    data = source.read_bytes()
    assert len(data) > 64 * 1024
    path = tmp_path / "ledger.db"
    path.write_bytes(data[: len(data) // 2])
    truncated = path.read_bytes()
    with pytest.raises(LedgerError, match=r"ledger.db"):
        open_ledger(path)
    assert path.read_bytes() == truncated


def test_an_sqlite_database_that_is_not_a_ledger_is_refused_and_unchanged(
    tmp_path: Path,
) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(LedgerError, match=r"not a ledger"):
        open_ledger(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("bad", ["", "   "])
def test_an_empty_path_is_a_validation_error(bad: str) -> None:
    with pytest.raises(ValidationError, match=r"ledger"):
        open_ledger(bad)


def test_a_directory_is_a_validation_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"is a directory"):
        open_ledger(tmp_path)


def test_profiles_are_created_once_and_validated(ledger: Ledger) -> None:
    ledger.create_profile("eu-central-1")
    ledger.create_profile("eu-central-1")
    assert ledger.profiles() == ("default", "eu-central-1")
    for bad in ("", "Upper", "-lead", "a" * 64, "has space"):
        with pytest.raises(ValidationError, match=r"profile"):
            ledger.create_profile(bad)
    assert ledger.profiles() == ("default", "eu-central-1")


def test_an_unknown_profile_lists_the_known_ones(ledger: Ledger, cp: object) -> None:
    from kiro_provider.ledger import LedgerControlPlane

    assert isinstance(cp, LedgerControlPlane)
    ledger.create_profile("us-east-1")
    with pytest.raises(NotFoundError, match=r"'nope'.*default, us-east-1"):
        cp.list_users("nope")


def test_ledger_objects_pickle_small_and_hold_no_connection(ledger: Ledger) -> None:
    ledger.profiles()  # a connection now exists for this thread
    data = pickle.dumps(ledger)
    assert pickle.loads(data) == ledger
    assert len(data) < 300
    directory = pickle.loads(pickle.dumps(LedgerDirectory(ledger)))
    assert directory.ledger == ledger


def test_a_ledger_unpickled_elsewhere_still_validates_its_file(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "ledger.db"
    ledger = pickle.loads(pickle.dumps(Ledger(str(path))))  # never passed open_ledger here
    assert ledger.profiles() == ("default",)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
