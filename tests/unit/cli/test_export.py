"""kiroctl export: what a profile becomes as a Pulumi project, in Python and in YAML.

The names (safe, unique, suffixes that do not move), the order and byte-for-byte stability, what
is declared and what is left out, the programs read back exactly (Python run against a stand-in
``pulumi_kiro``, YAML parsed), and bad input refused with nothing written.
"""

from __future__ import annotations

import ast
import hashlib
import random
import subprocess
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from kiro_provider.cli import export
from kiro_provider.cli.export import ExportedProfile, read_profile, render_python, render_yaml
from kiro_provider.config import load_config, open_control_plane
from kiro_provider.controlplane import (
    Assignment,
    Group,
    GroupMember,
    GroupSubscription,
    ProfileSettings,
    User,
    UserSubscription,
)
from kiro_provider.domain.tiers import Status, Tier
from kiro_provider.ledger import open_ledger

from .support import Run, dump

NOV = "2026-11-10T09:00:00Z"
REPO = Path(__file__).resolve().parents[3]
PLUGIN = str(REPO)


# --- a control plane that answers from lists (the export reads only these four) ------------


@dataclass
class ListedPlane:
    """The Users and Groups tabs, the settings and the directory's memberships, as given."""

    users: list[UserSubscription] = field(default_factory=list)
    groups: list[GroupSubscription] = field(default_factory=list)
    overages: bool = False
    #: group id -> current member ids in the directory (default: the assignment's members)
    directory: dict[str, frozenset[str]] = field(default_factory=dict)

    def list_users(self, profile: str) -> list[UserSubscription]:
        return list(self.users)

    def list_groups(self, profile: str) -> list[GroupSubscription]:
        return list(self.groups)

    def get_settings(self, profile: str) -> ProfileSettings:
        return ProfileSettings(profile, self.overages)

    def group_member_ids(self, group_id: str) -> frozenset[str]:
        group = next(g for g in self.groups if g.group.group_id == group_id)
        default = frozenset(m.user_id for m in group.members)
        return self.directory.get(group_id, default)


def direct(
    name: str,
    tier: Tier = Tier.PRO,
    *,
    user_id: str | None = None,
    status: Status = Status.ACTIVE,
    owner: str | None = None,
) -> UserSubscription:
    """A user with a direct assignment at ``tier``."""
    user_id = user_id or f"id-{name}"
    return UserSubscription(
        "default", f"sub-{user_id}", User(user_id, name), status, tier, tier, None, None,
        (Assignment(None, tier, owner),) if status is not Status.CANCELED else (),
    )  # fmt: skip


def group(
    name: str, tier: Tier = Tier.PRO, *, group_id: str | None = None, owner: str | None = None
) -> GroupSubscription:
    members = (GroupMember("id-m", "m", Status.PENDING, tier),)
    return GroupSubscription(
        "default", Group(group_id or f"gid-{name}", name), tier, owner, members
    )


def exported(plane: ListedPlane, profile: str = "default") -> ExportedProfile:
    return read_profile(plane, profile)  # type: ignore[arg-type]


def names(result: ExportedProfile) -> dict[str, str]:
    """reference -> resource name, groups and users together."""
    return {d.reference: d.name for d in (*result.groups, *result.subscriptions)}


def suffix(ident: str) -> str:
    return hashlib.sha256(ident.encode()).hexdigest()[:6]


# --- names ----------------------------------------------------------------------------------


def test_names_are_what_a_person_would_write() -> None:
    plane = ListedPlane(
        users=[
            direct("alice"),
            direct("bob@example.com"),
            direct("José Ñúñez"),
            direct("Mary O'Brien"),
            direct("42"),
            direct("!!!"),
        ],
        groups=[group("Design Team"), group("engineering")],
    )
    assert names(exported(plane)) == {
        "alice": "alice",
        "bob@example.com": "bob",
        "José Ñúñez": "jose-nunez",
        "Mary O'Brien": "mary-o-brien",
        "42": "user-42",
        "!!!": "user",
        "Design Team": "design-team",
        "engineering": "engineering",
    }


def test_a_collision_gets_an_id_suffix_and_the_unchanged_name_keeps_the_plain_one() -> None:
    plane = ListedPlane(
        users=[
            direct("alice.smith", user_id="u-1"),
            direct("alice-smith", user_id="u-2"),
            direct("Alice_Smith", user_id="u-3"),
            direct("settings", user_id="u-4"),
            direct("ops", user_id="u-5"),
        ],
        groups=[group("ops", group_id="g-1")],
    )
    result = names(exported(plane))
    assert result == {
        "alice-smith": "alice-smith",
        "Alice_Smith": f"alice-smith-{suffix('u-3')}",
        "alice.smith": f"alice-smith-{suffix('u-1')}",
        "settings": f"settings-{suffix('u-4')}",
        "ops": result["ops"],
    }
    # The group and the user of one name: the group keeps it, the user gets the suffix.
    groups = {d.reference: d.name for d in exported(plane).groups}
    users = {d.reference: d.name for d in exported(plane).subscriptions}
    assert (groups["ops"], users["ops"]) == ("ops", f"ops-{suffix('u-5')}")


def test_a_user_and_a_group_with_one_id_get_a_name_each() -> None:
    plane = ListedPlane(
        users=[direct("ops", user_id="same")], groups=[group("ops", group_id="same")]
    )
    result = exported(plane)
    assert (result.groups[0].name, result.subscriptions[0].name) == ("ops", f"ops-{suffix('same')}")


def test_a_suffix_does_not_move_when_other_users_come_and_go() -> None:
    few = ListedPlane(users=[direct("a.b", user_id="u-1"), direct("a_b", user_id="u-2")])
    many = ListedPlane(
        users=[direct(n, user_id=f"u-{i}") for i, n in enumerate(("a.b", "a_b", "a b"), 1)]
    )
    assert names(exported(few))["a_b"] == names(exported(many))["a_b"]
    assert len(set(names(exported(many)).values())) == 3


def test_a_suffixed_name_never_takes_another_resources_plain_name() -> None:
    taken = f"x-{suffix('u-2')}"
    plane = ListedPlane(
        users=[
            direct("x", user_id="u-1"),
            direct("X", user_id="u-2"),
            direct(taken, user_id="u-3"),
        ]
    )
    result = names(exported(plane))
    assert result[taken] == taken
    assert result["X"].startswith(taken) and len(result["X"]) > len(taken)
    assert len(set(result.values())) == 3


def test_names_are_unique_for_many_lookalikes() -> None:
    spellings = ["ann", "Ann", "ANN", "a.nn", "ann@x.com", "ann@y.com", "Ann!", "ánn", "ann "]
    plane = ListedPlane(users=[direct(n, user_id=f"u-{i}") for i, n in enumerate(spellings)])
    declared = names(exported(plane))
    assert len(set(declared.values())) == len(spellings)
    assert declared["ann"] == "ann"


# --- what is declared -----------------------------------------------------------------------


def test_order_does_not_depend_on_the_control_planes_order() -> None:
    users = [direct(f"user{i}", Tier.PRO_PLUS, user_id=f"u-{i}") for i in range(30)]
    groups = [group(f"team {i}") for i in range(5)]
    first = ListedPlane(users=users, groups=groups, overages=True)
    shuffled = ListedPlane(
        users=random.Random(7).sample(users, len(users)),
        groups=random.Random(7).sample(groups, len(groups)),
        overages=True,
    )
    for render in (render_python, lambda e: render_yaml(e, PLUGIN)):
        assert render(exported(first)) == render(exported(shuffled))
    declared = [s.name for s in exported(first).subscriptions]
    assert declared == sorted(declared)


def test_the_tier_declared_is_the_direct_assignments_not_the_highest() -> None:
    # Pro direct, Power through a group: the subscription in force is Power; the direct
    # assignment, which is what the Subscription resource declares, is Pro.
    both = UserSubscription(
        "default", "sub-b", User("id-b", "bea"), Status.ACTIVE, Tier.POWER, Tier.POWER, None, None,
        (Assignment(None, Tier.PRO, None), Assignment("gid-ops", Tier.POWER, None)),
    )  # fmt: skip
    (declared,) = exported(
        ListedPlane(users=[both], groups=[group("ops", Tier.POWER)])
    ).subscriptions
    assert (declared.reference, declared.tier) == ("bea", Tier.PRO)


def test_left_out_canceled_group_only_and_managed_elsewhere() -> None:
    through_group = UserSubscription(
        "default", "sub-g", User("id-g", "gail"), Status.PENDING, Tier.PRO, Tier.PRO, None, None,
        (Assignment("gid-ops", Tier.PRO, None),),
    )  # fmt: skip
    plane = ListedPlane(
        users=[
            direct("alice"),
            direct("carl", status=Status.CANCELED),
            through_group,
            direct("mo", owner="other/prod/mo"),
        ],
        groups=[group("ops"), group("sales", owner="other/prod/sales")],
    )
    result = exported(plane)
    assert [s.reference for s in result.subscriptions] == ["alice"]
    assert [g.reference for g in result.groups] == ["ops"]
    assert (result.group_only, result.canceled) == (1, 1)
    assert result.managed_elsewhere == (
        "group sales (other/prod/sales)",
        "user mo (other/prod/mo)",
    )
    program = render_python(result)["__main__.py"]
    assert "#   user mo (other/prod/mo)" in program
    assert '"mo"' not in program.split("import pulumi_kiro")[1]


def test_a_group_whose_directory_membership_moved_on_is_flagged() -> None:
    ops = group("ops")
    plane = ListedPlane(groups=[ops], directory={"gid-ops": frozenset({"id-m", "id-new"})})
    (declared,) = exported(plane).groups
    assert declared.note is not None and "1 joined, 0 left" in declared.note
    assert f"# ops: {declared.note}" in render_python(exported(plane))["__main__.py"]
    assert exported(ListedPlane(groups=[ops])).groups[0].note is None


def test_profile_goes_in_project_config_only_when_not_default() -> None:
    plane = ListedPlane(users=[direct("alice")])
    assert "kiro:profile" not in exported(plane).config
    eu = read_profile(plane, "eu", {"kiro:ledger": "/data/ledger.db"})  # type: ignore[arg-type]
    assert dict(eu.config) == {"kiro:ledger": "/data/ledger.db", "kiro:profile": "eu"}
    project = yaml.safe_load(render_python(eu)["Pulumi.yaml"])
    assert project["config"] == {"kiro:ledger": "/data/ledger.db", "kiro:profile": "eu"}
    assert (project["name"], project["runtime"]) == ("kiro-eu", "python")


# --- the programs read back exactly ---------------------------------------------------------

#: Names that trip a naive writer: quotes, YAML words and numbers, colons, hashes, unicode.
AWKWARD = ['say "hi"', "yes", "null", "123", "a: b", "#tag", " pad ", "back\\slash", "Zoë ✓"]


@pytest.fixture
def awkward() -> ExportedProfile:
    plane = ListedPlane(
        users=[direct(n, Tier.POWER, user_id=f"u-{i}") for i, n in enumerate(AWKWARD)],
        groups=[group(n, Tier.PRO_PLUS, group_id=f"g-{i}") for i, n in enumerate(AWKWARD)],
        overages=True,
    )
    return read_profile(plane, "default", {"kiro:ledger": "/tmp/a b/#l.db"})  # type: ignore[arg-type]


@dataclass
class Recorded:
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)


@pytest.fixture
def stand_in_sdk(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorded]:
    """A ``pulumi_kiro`` that records each resource constructed."""
    recorded = Recorded()
    module = types.ModuleType("pulumi_kiro")
    for cls in ("ProfileSettings", "Subscription", "GroupAssignment"):

        def make(*args: Any, _cls: str = cls, **kwargs: Any) -> None:
            recorded.calls.append((_cls, args, kwargs))

        setattr(module, cls, make)
    monkeypatch.setitem(sys.modules, "pulumi_kiro", module)
    yield recorded


def test_the_python_program_declares_exactly_the_profile(
    awkward: ExportedProfile, stand_in_sdk: Recorded
) -> None:
    program = render_python(awkward)["__main__.py"]
    exec(compile(program, "__main__.py", "exec"), {"__name__": "__main__"})
    calls = stand_in_sdk.calls
    assert calls[0] == ("ProfileSettings", ("settings",), {"overages_enabled": True})
    subs = {kw["user"]: (args[0], kw) for cls, args, kw in calls if cls == "Subscription"}
    groups = {kw["group"]: (args[0], kw) for cls, args, kw in calls if cls == "GroupAssignment"}
    assert set(subs) == set(groups) == set(AWKWARD)
    assert all(kw["tier"] == "Power" and kw["adopt"] is True for _, kw in subs.values())
    assert all(kw["tier"] == "Pro+" and kw["adopt"] is True for _, kw in groups.values())
    declared = [args[0] for _, args, _ in calls]
    assert len(set(declared)) == len(declared)


def test_the_python_program_is_formatted_as_ruff_formats_it(awkward: ExportedProfile) -> None:
    long = ListedPlane(users=[direct("a" * 50, Tier.PRO_PLUS), direct("b" * 70)])
    for project in (awkward, exported(long)):
        program = render_python(project)["__main__.py"]
        ast.parse(program)
        check = subprocess.run(
            [str(Path(sys.executable).parent / "ruff"), "format", "--isolated", "--diff", "-"],
            input=program,
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stdout + check.stderr


def test_the_yaml_program_reads_back_exactly(awkward: ExportedProfile) -> None:
    project = yaml.safe_load(render_yaml(awkward, "/opt/pulumi kiro")["Pulumi.yaml"])
    assert (project["name"], project["runtime"]) == ("kiro-default", "yaml")
    assert project["config"] == {"kiro:ledger": "/tmp/a b/#l.db"}
    assert project["plugins"] == {"providers": [{"name": "kiro", "path": "/opt/pulumi kiro"}]}
    resources = project["resources"]
    assert resources.pop("settings") == {
        "type": "kiro:index:ProfileSettings",
        "properties": {"overagesEnabled": True},
    }
    subs = {
        r["properties"]["user"]: r["properties"]
        for r in resources.values()
        if r["type"] == "kiro:index:Subscription"
    }
    groups = {
        r["properties"]["group"]: r["properties"]
        for r in resources.values()
        if r["type"] == "kiro:index:GroupAssignment"
    }
    assert set(subs) == set(groups) == set(AWKWARD)
    assert all(p["tier"] == "Power" and p["adopt"] is True for p in subs.values())
    assert all(p["tier"] == "Pro+" and p["adopt"] is True for p in groups.values())
    assert set(resources) == {d.name for d in (*awkward.groups, *awkward.subscriptions)}


@pytest.mark.parametrize(
    "text", [*AWKWARD, "Pro+", "on", "", "~", "x\u2028y", "tab\there", 'it\'s "q"', "\U0001f600"]
)
def test_a_literal_is_read_back_by_python_and_yaml(text: str) -> None:
    assert ast.literal_eval(export.quoted(text)) == text
    assert ast.literal_eval(export.python_string(text)) == text
    assert yaml.safe_load(f"k: {export.yaml_scalar(text)}")["k"] == text


# --- kiroctl export on the ledger -----------------------------------------------------------


@pytest.fixture
def profile_by_hand(seeded: Run) -> Run:
    """alice Pro+ Active with a downgrade to Pro scheduled; bob Pending at Power; carol
    canceled; engineering (alice, bob) at Pro; dave only through design; overages on."""
    steps = [
        ("directory", "add-user", "dave"),
        ("directory", "add-group", "design", "--member", "dave", "--member", "bob"),
        ("subscribe", "alice", "--tier", "Pro+"),
        ("activate", "alice"),
        ("change-plan", "alice", "--tier", "Pro"),
        ("subscribe", "bob", "--tier", "Power"),
        ("subscribe", "carol", "--tier", "Pro"),
        ("unsubscribe", "carol"),
        ("subscribe", "--group", "engineering", "--tier", "Pro"),
        ("subscribe", "--group", "design", "--tier", "Pro+"),
        ("settings", "--overages", "on"),
    ]
    for step in steps:
        assert seeded("--now", NOV, *step).code == 0, step
    return seeded


def test_export_declares_the_profile_and_changes_nothing(
    profile_by_hand: Run, ledger: Path, tmp_path: Path, stand_in_sdk: Recorded
) -> None:
    before = dump(ledger)
    result = profile_by_hand("--now", NOV, "export", "--out", str(tmp_path / "adopt"))
    assert result.code == 0, result.err
    assert "2 Subscription(s), 2 GroupAssignment(s)" in result.out
    assert "1 user(s) with a plan only through groups; 1 canceled" in result.out
    assert "pulumi stack init dev && pulumi up" in result.out
    assert dump(ledger) == before
    files = sorted(p.name for p in (tmp_path / "adopt").iterdir())
    assert files == ["Pulumi.yaml", "__main__.py"]
    project = yaml.safe_load((tmp_path / "adopt" / "Pulumi.yaml").read_text())
    assert project["config"] == {"kiro:ledger": str(ledger)}
    program = (tmp_path / "adopt" / "__main__.py").read_text()
    assert program.startswith('# Kiro profile "default", exported by `kiroctl export`')
    exec(compile(program, "__main__.py", "exec"), {"__name__": "__main__"})
    declared = {(cls, args[0]): kw for cls, args, kw in stand_in_sdk.calls}
    assert declared == {
        ("ProfileSettings", "settings"): {"overages_enabled": True},
        # alice's downgrade is scheduled: the tier she was assigned is the one she goes to.
        ("Subscription", "alice"): {"user": "alice", "tier": "Pro", "adopt": True},
        ("Subscription", "bob"): {"user": "bob", "tier": "Power", "adopt": True},
        ("GroupAssignment", "design"): {"group": "design", "tier": "Pro+", "adopt": True},
        ("GroupAssignment", "engineering"): {
            "group": "engineering",
            "tier": "Pro",
            "adopt": True,
        },
    }


@pytest.mark.parametrize("language", ["python", "yaml"])
def test_exporting_twice_writes_the_same_bytes(
    profile_by_hand: Run, tmp_path: Path, language: str
) -> None:
    written = []
    for out in ("one", "two"):
        args = ("--format", language, "--out", str(tmp_path / out))
        assert profile_by_hand("--now", NOV, "export", *args).code == 0
        folder = tmp_path / out
        written.append({p.name: p.read_bytes() for p in folder.iterdir()})
    assert written[0] == written[1]
    assert len(written[0]) == (2 if language == "python" else 1)


def test_yaml_export_points_at_the_plugin(profile_by_hand: Run, tmp_path: Path) -> None:
    out = tmp_path / "y"
    result = profile_by_hand("--now", NOV, "export", "--format", "YAML", "--out", str(out))
    assert result.code == 0, result.err
    project = yaml.safe_load((out / "Pulumi.yaml").read_text())
    assert project["plugins"]["providers"] == [{"name": "kiro", "path": str(REPO)}]
    assert project["resources"]["alice"]["properties"] == {
        "user": "alice",
        "tier": "Pro",
        "adopt": True,
    }


def test_a_profile_other_than_default_is_project_config(
    seeded: Run, ledger: Path, tmp_path: Path
) -> None:
    open_ledger(str(ledger)).create_profile("eu")
    assert seeded("--now", NOV, "subscribe", "alice", "--tier", "Pro", "--profile", "eu").code == 0
    out = tmp_path / "eu"
    assert seeded("export", "--profile", "eu", "--out", str(out)).code == 0
    config = yaml.safe_load((out / "Pulumi.yaml").read_text())["config"]
    assert config == {"kiro:ledger": str(ledger), "kiro:profile": "eu"}


def test_an_assignment_managed_by_a_stack_is_named_and_left_out(
    seeded: Run, ledger: Path, tmp_path: Path
) -> None:
    plane = open_control_plane(load_config(overrides={"ledger_path": str(ledger)}), actor="t")
    plane.subscribe_user("default", plane.find_user("alice").user_id, Tier.PRO, owner="p/s/al")
    assert seeded("subscribe", "bob", "--tier", "Pro").code == 0
    result = seeded("export", "--out", str(tmp_path / "o"))
    assert result.code == 0, result.err
    assert "1 managed by another Pulumi stack: user alice (p/s/al)" in result.out
    assert 'user="alice"' not in (tmp_path / "o" / "__main__.py").read_text()


# --- bad input: a clear error, nothing written ----------------------------------------------


def test_export_into_an_empty_current_directory(
    profile_by_hand: Run, ledger: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result = profile_by_hand("export")
    assert result.code == 0, result.err
    assert "next: pulumi stack init dev && pulumi up" in result.out
    assert sorted(p.name for p in here.iterdir()) == ["Pulumi.yaml", "__main__.py"]


@pytest.mark.parametrize(
    ("args", "code", "fragments"),
    [
        pytest.param(
            ("--format", "json"), 2,
            ["format: 'json' is not an export format; expected one of python, yaml"],
            id="unknown-format",
        ),
        pytest.param(
            ("--profile", "mars"), 1, ["profile: 'mars' is not a Kiro profile", "default"],
            id="unknown-profile",
        ),
        pytest.param(
            ("--format", "yaml", "--plugin-path", "/nonexistent"), 1,
            ["plugin-path: '/nonexistent'", "PulumiPlugin.yaml"], id="no-plugin-there",
        ),
        pytest.param(
            ("--plugin-path", PLUGIN), 2, ["plugin-path", "--format yaml only"],
            id="plugin-path-for-python",
        ),
    ],
)  # fmt: skip
def test_bad_input_is_refused_and_writes_nothing(
    profile_by_hand: Run,
    ledger: Path,
    tmp_path: Path,
    args: tuple[str, ...],
    code: int,
    fragments: list[str],
) -> None:
    before = dump(ledger)
    out = tmp_path / "new"
    result = profile_by_hand("export", "--out", str(out), *args)
    assert result.code == code, result.err
    assert result.err.startswith("kiroctl: error: ") and result.err.count("\n") == 1
    for fragment in fragments:
        assert fragment in result.err
    assert not out.exists()
    assert dump(ledger) == before


def test_a_folder_that_is_not_empty_is_refused(profile_by_hand: Run, tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "Pulumi.yaml").write_text("mine\n")
    result = profile_by_hand("export", "--out", str(out))
    assert result.code == 1
    assert f"out: {str(out)!r} is not empty (Pulumi.yaml)" in result.err
    assert "never overwrites" in result.err
    assert [p.name for p in out.iterdir()] == ["Pulumi.yaml"]
    assert (out / "Pulumi.yaml").read_text() == "mine\n"


def test_a_file_as_out_is_refused(profile_by_hand: Run, tmp_path: Path) -> None:
    out = tmp_path / "file"
    out.write_text("keep\n")
    result = profile_by_hand("export", "--out", str(out), "--format", "yaml")
    assert result.code == 1
    assert f"out: {str(out)!r} is a file" in result.err
    assert out.read_text() == "keep\n"


def test_a_current_directory_that_is_not_empty_is_refused(profile_by_hand: Run) -> None:
    # The test's working directory holds the ledger.
    result = profile_by_hand("export")
    assert result.code == 1
    assert "out: the current directory is not empty (ledger.db" in result.err
    assert "give --out a new folder" in result.err
    assert sorted(p.name for p in Path.cwd().iterdir() if not p.name.startswith("ledger.db")) == []
