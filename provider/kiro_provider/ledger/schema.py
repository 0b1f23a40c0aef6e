"""The ledger's schema as an ordered list of migrations, from the first release on.

Migration ``n`` (1-based) takes a ledger from schema version ``n - 1`` to ``n``. A released
migration is never edited: a change to the schema is a new migration appended to the list.
Version 0 is a brand-new (empty) file; ``SCHEMA_VERSION`` is the version this release writes.
"""

from __future__ import annotations

from typing import Final

_V1: Final = """
CREATE TABLE schema_version (
    version     INTEGER NOT NULL
);

CREATE TABLE profiles (
    name        TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL
);

-- The ledger-held directory (used when the directory is not IAM Identity Center).
CREATE TABLE users (
    user_id     TEXT PRIMARY KEY,
    user_name   TEXT NOT NULL UNIQUE,
    email       TEXT UNIQUE
);
CREATE TABLE groups (
    group_id    TEXT PRIMARY KEY,
    group_name  TEXT NOT NULL UNIQUE
);
CREATE TABLE memberships (
    group_id    TEXT NOT NULL REFERENCES groups (group_id),
    user_id     TEXT NOT NULL REFERENCES users (user_id),
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_user ON memberships (user_id);

-- One record per profile and user: the domain's SubscriptionState plus identity snapshots.
CREATE TABLE subscriptions (
    profile              TEXT NOT NULL REFERENCES profiles (name),
    user_id              TEXT NOT NULL,
    subscription_id      TEXT NOT NULL UNIQUE,
    user_name            TEXT NOT NULL,
    status               TEXT NOT NULL,
    effective_tier       TEXT NOT NULL,
    pending_tier         TEXT,
    pending_effective_at TEXT,
    PRIMARY KEY (profile, user_id)
);
CREATE INDEX subscriptions_due ON subscriptions (profile, pending_effective_at)
    WHERE pending_effective_at IS NOT NULL;

-- Every reason a user holds a subscription: group_id NULL = direct, else through that group.
CREATE TABLE assignments (
    id          INTEGER PRIMARY KEY,
    profile     TEXT NOT NULL REFERENCES profiles (name),
    user_id     TEXT NOT NULL,
    group_id    TEXT,
    tier        TEXT NOT NULL,
    owner       TEXT
);
CREATE UNIQUE INDEX assignments_direct ON assignments (profile, user_id)
    WHERE group_id IS NULL;
CREATE UNIQUE INDEX assignments_by_group ON assignments (profile, group_id, user_id)
    WHERE group_id IS NOT NULL;
CREATE INDEX assignments_by_user ON assignments (profile, user_id);

CREATE TABLE group_assignments (
    profile     TEXT NOT NULL REFERENCES profiles (name),
    group_id    TEXT NOT NULL,
    group_name  TEXT NOT NULL,
    tier        TEXT NOT NULL,
    owner       TEXT,
    PRIMARY KEY (profile, group_id)
);

CREATE TABLE settings (
    profile          TEXT PRIMARY KEY REFERENCES profiles (name),
    overages_enabled INTEGER NOT NULL DEFAULT 0
);

-- Who changed what, when. ``entity`` says what before/after (JSON) describe; the rows with
-- entity 'subscription' are each user's timeline, which billing reads.
CREATE TABLE history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    profile     TEXT,
    entity      TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    before      TEXT,
    after       TEXT
);
CREATE INDEX history_timeline ON history (profile, entity, subject, at);
"""

#: Ordered migrations: ``MIGRATIONS[i]`` takes schema version ``i`` to ``i + 1``.
MIGRATIONS: Final[tuple[str, ...]] = (_V1,)

#: The schema version this release reads and writes.
SCHEMA_VERSION: Final = len(MIGRATIONS)
