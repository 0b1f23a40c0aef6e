"""``kiroctl export``: a profile as it stands, written as a Pulumi project that adopts it.

Three steps, each testable alone: :func:`read_profile` reads the control plane (through the
ControlPlane interface only: the Users and Groups tabs and the settings) into an
:class:`ExportedProfile`; :func:`render_python` and :func:`render_yaml` turn it into the files
of a project; :func:`write_project` writes them into an empty or new folder, never over a file.

What is declared is exactly what Kiro holds, so the first ``pulumi up`` changes no plan: a
``Subscription`` per direct assignment with the tier assigned (for a downgrade scheduled for
the 1st, the tier it goes down to: that is the assignment, not a change), a ``GroupAssignment``
per group assignment, and ``ProfileSettings`` with the current overage setting. ``adopt=True``
lets the program take over what the console made; what another Pulumi stack already manages is
left out, because adopt never takes an assignment from another resource.

The output is a function of the profile alone (no clock, no ordering of the control plane's
answers), so exporting twice gives the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kiro_provider import config as kiro_config
from kiro_provider.cli.commands import Session
from kiro_provider.controlplane import DEFAULT_PROFILE, ControlPlane
from kiro_provider.domain.tiers import Status, Tier
from kiro_provider.errors import ConflictError, NotFoundError, ValidationError

#: The languages an export is written in.
FORMATS = ("python", "yaml")
#: The name of the one ProfileSettings resource.
SETTINGS_NAME = "settings"
#: Generated Python is laid out for ruff's and black's default line length.
LINE_LENGTH = 88
#: Longest resource name made from a user or group name (before a collision suffix).
MAX_NAME_LENGTH = 60
#: Hex digits of the collision suffix (more only if the short one is taken).
SUFFIX_LENGTH = 6


# --- argument types (run while parsing: before anything is opened) --------------------------


def parse_format(value: str) -> str:
    """``python`` or ``yaml`` (any case); anything else is a ValidationError naming the value."""
    text = value.strip().lower()
    if text not in FORMATS:
        raise ValidationError(
            f"format: {value!r} is not an export format; expected one of {', '.join(FORMATS)}",
            field="format",
        )
    return text


# --- what is read ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Declared:
    """One Subscription or GroupAssignment to declare."""

    #: The Pulumi resource name.
    name: str
    #: How the program names the user or group: user name, or group display name.
    reference: str
    tier: Tier
    #: For a group: why the first `up` will change its members (the directory moved on since
    #: the assignment was last applied), else None.
    note: str | None = None


@dataclass(frozen=True)
class ExportedProfile:
    """A profile as the exported program declares it, and what was left out and why."""

    profile: str
    #: ``kiro:*`` project config: the profile when not the default, and where Kiro is reached.
    config: Mapping[str, str]
    overages_enabled: bool
    groups: tuple[Declared, ...]
    subscriptions: tuple[Declared, ...]
    #: Users whose plan comes only through groups: no resource of their own.
    group_only: int
    #: Canceled subscription records: nothing to declare.
    canceled: int
    #: ``user alice (proj/stack/name)``: assignments another Pulumi resource manages.
    managed_elsewhere: tuple[str, ...]

    @property
    def project_name(self) -> str:
        return f"kiro-{_slug(self.profile) or 'profile'}"[:100]


@dataclass(frozen=True)
class _Claim:
    """A resource that wants a name: its kind, the id that tells it apart, the name's base."""

    rank: int  # who keeps a contested plain name first: settings, groups, users
    ident: str
    base: str
    exact: bool  # the base is the user or group name unchanged

    @property
    def key(self) -> tuple[int, str]:
        """Tells claims apart (a user's id and a group's may look alike)."""
        return (self.rank, self.ident)


def read_profile(
    plane: ControlPlane, profile: str, config: Mapping[str, str] | None = None
) -> ExportedProfile:
    """What ``profile`` holds, as resources to declare (``config``: the project's ``kiro:*``)."""
    settings = plane.get_settings(profile)
    users = plane.list_users(profile)
    assigned = plane.list_groups(profile)
    managed: list[str] = []
    group_only = canceled = 0
    direct: list[tuple[_Claim, str, Tier]] = []
    for sub in users:
        if sub.status is Status.CANCELED:
            canceled += 1
            continue
        assignment = sub.direct
        if assignment is None:
            group_only += 1
        elif assignment.owner is not None:
            managed.append(f"user {sub.user.user_name} ({assignment.owner})")
        else:
            name = sub.user.user_name
            claim = _claim(2, sub.user.user_id, name, _user_base(name), "user")
            direct.append((claim, name, assignment.tier))
    groups: list[tuple[_Claim, str, Tier, str | None]] = []
    for group in assigned:
        if group.owner is not None:
            managed.append(f"group {group.group.group_name} ({group.owner})")
            continue
        name = group.group.group_name
        claim = _claim(1, group.group.group_id, name, _slug(name), "group")
        note = _membership_note(plane, group.group.group_id, {m.user_id for m in group.members})
        groups.append((claim, name, group.tier, note))
    names = resource_names(
        [_Claim(0, SETTINGS_NAME, SETTINGS_NAME, True)]
        + [c for c, *_ in groups]
        + [c for c, *_ in direct]
    )
    config = dict(config or {})
    if profile != DEFAULT_PROFILE:
        config["kiro:profile"] = profile
    return ExportedProfile(
        profile=profile,
        config=config,
        overages_enabled=settings.overages_enabled,
        groups=_sorted(Declared(names[c.key], ref, tier, note) for c, ref, tier, note in groups),
        subscriptions=_sorted(Declared(names[c.key], ref, tier) for c, ref, tier in direct),
        group_only=group_only,
        canceled=canceled,
        managed_elsewhere=tuple(sorted(managed)),
    )


def _membership_note(plane: ControlPlane, group_id: str, assigned: set[str]) -> str | None:
    """Why re-applying the group changes subscriptions, or None when it would not (Kiro
    subscribes members who joined and releases those who left when an assignment is applied)."""
    current = plane.group_member_ids(group_id)
    joined, left = len(current - assigned), len(assigned - current)
    if not joined and not left:
        return None
    return (
        f"the directory changed since this assignment was applied ({joined} joined, "
        f"{left} left): the first `pulumi up` applies it to the current members"
    )


def _sorted(items: Iterable[Declared]) -> tuple[Declared, ...]:
    return tuple(sorted(items, key=lambda d: d.name))


# --- names ----------------------------------------------------------------------------------


def _slug(text: str) -> str:
    """``text`` folded to ASCII, lower case, runs of anything else as one ``-``."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:MAX_NAME_LENGTH].strip("-")


def _user_base(user_name: str) -> str:
    """A user's name as a person would write it: ``alice`` for ``alice@example.com``."""
    local = user_name.split("@", 1)[0]
    return _slug(local) or _slug(user_name)


def _claim(rank: int, ident: str, name: str, base: str, kind: str) -> _Claim:
    """``name``'s claim on ``base``; ``exact`` when the name needed no change."""
    exact = base == name
    if not base or not base[0].isalpha():
        # A name starting with a digit reads as a number in YAML; an empty one says nothing.
        base, exact = (f"{kind}-{base}" if base else kind), False
    return _Claim(rank, ident, base, exact)


def resource_names(claims: Iterable[_Claim]) -> dict[tuple[int, str], str]:
    """A unique resource name for each claim, by its ``key``.

    Everyone whose base is unique keeps it. Of several with one base, the first (the name
    unchanged before the one made safe; settings, then groups, then users; then by id) keeps
    it and the others get ``-`` and the first hex digits of their id's SHA-256: a suffix that
    stays the same whoever else is in the profile.
    """
    by_base: dict[str, list[_Claim]] = defaultdict(list)
    for claim in claims:
        by_base[claim.base].append(claim)
    taken = set(by_base)  # a suffixed name never takes another resource's plain name
    names: dict[tuple[int, str], str] = {}
    for base in sorted(by_base):
        first, *others = sorted(by_base[base], key=lambda c: (not c.exact, c.rank, c.ident))
        names[first.key] = base
        for claim in others:
            digest = hashlib.sha256(claim.ident.encode()).hexdigest()
            length = SUFFIX_LENGTH
            while f"{base}-{digest[:length]}" in taken and length < len(digest):
                length += 2
            name = f"{base}-{digest[:length]}"
            taken.add(name)
            names[claim.key] = name
    return names


# --- literals -------------------------------------------------------------------------------

# Plain YAML scalars we write unquoted: a letter or / first, no ": " or " #", no edge spaces.
_PLAIN = re.compile(r"(?:[\w./@+-]| (?! ))*")
#: Words YAML 1.1 readers take for booleans or null.
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null"})


def quoted(text: str, quote: str = '"') -> str:
    """``text`` as a literal in ``quote`` that Python and YAML (double quotes) both read back
    exactly: the quote and backslashes escaped, control and line-separator characters as
    ``\\u`` escapes, every other character as itself."""
    out = []
    for ch in text:
        if ch in (quote, "\\"):
            out.append("\\" + ch)
        elif unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp"):
            code = ord(ch)
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    return quote + "".join(out) + quote


def python_string(text: str) -> str:
    """``text`` as a Python string literal, quoted as ruff format quotes it (double quotes,
    unless the text holds double quotes and no single ones)."""
    return quoted(text, "'") if '"' in text and "'" not in text else quoted(text)


def yaml_scalar(text: str) -> str:
    """``text`` plain when YAML reads it back as that string, else double-quoted."""
    plain = bool(text) and (text[0].isalpha() or text[0] == "/") and text[-1] != " "
    if plain and _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    return quoted(text)


GROUPS_COMMENT = "Group assignments: each member holds at least the group's tier."
SUBSCRIPTIONS_COMMENT = (
    "Direct subscriptions at the tier assigned (a scheduled downgrade: its tier)."
)

# --- Python ---------------------------------------------------------------------------------

PYTHON_HEADER = """\
# Kiro profile {profile}, exported by `kiroctl export`: what Kiro held, as code.
#
# adopt=True takes over a subscription or group assignment made in the console or with
# kiroctl: the first `pulumi up` records that this stack manages it and changes no plan.
# Users whose plan comes only through groups have no resource of their own. The profile,
# and where Kiro is reached, are project config in Pulumi.yaml (kiro:*).
"""


def render_python(exported: ExportedProfile) -> dict[str, str]:
    """``Pulumi.yaml`` and ``__main__.py`` of a Python program declaring ``exported``."""
    lines = [PYTHON_HEADER.format(profile=quoted(exported.profile))]
    lines += [*_left_out_comment(exported), ""] if exported.managed_elsewhere else []
    lines += ["import pulumi_kiro as kiro", ""]
    lines.append(
        _python_call(
            "kiro.ProfileSettings",
            python_string(SETTINGS_NAME),
            f"overages_enabled={exported.overages_enabled}",
        )
    )
    if exported.groups:
        lines += ["", f"# {GROUPS_COMMENT}"]
    for group in exported.groups:
        if group.note:
            lines.append(f"# {group.name}: {group.note}")
        lines.append(_python_resource("kiro.GroupAssignment", group, "group"))
    if exported.subscriptions:
        lines += ["", f"# {SUBSCRIPTIONS_COMMENT}"]
    lines += [_python_resource("kiro.Subscription", s, "user") for s in exported.subscriptions]
    program = "\n".join(lines) + "\n"
    return {
        "Pulumi.yaml": _pulumi_yaml(exported, "python", "the program: __main__.py"),
        "__main__.py": program,
    }


def _python_resource(cls: str, declared: Declared, field: str) -> str:
    return _python_call(
        cls,
        python_string(declared.name),
        f"{field}={python_string(declared.reference)}",
        f"tier={python_string(declared.tier.value)}",
        "adopt=True",
    )


def _python_call(function: str, *args: str) -> str:
    """One call laid out as ruff format and black lay it out."""
    one_line = f"{function}({', '.join(args)})"
    if len(one_line) <= LINE_LENGTH:
        return one_line
    hugged = f"    {', '.join(args)}"
    if len(hugged) <= LINE_LENGTH:
        return f"{function}(\n{hugged}\n)"
    return f"{function}(\n" + "".join(f"    {arg},\n" for arg in args) + ")"


def _left_out_comment(exported: ExportedProfile) -> list[str]:
    if not exported.managed_elsewhere:
        return []
    lines = ["# Left out: managed by another Pulumi stack already (adopt never takes them):"]
    return lines + [f"#   {item}" for item in exported.managed_elsewhere]


# --- YAML -----------------------------------------------------------------------------------

YAML_HEADER = """\
# Kiro profile {profile}, exported by `kiroctl export`: what Kiro held, as code, through the
# kiro provider plugin.
#
# adopt: true takes over a subscription or group assignment made in the console or with
# kiroctl: the first `pulumi up` records that this stack manages it and changes no plan.
# Users whose plan comes only through groups have no resource of their own.
"""


def render_yaml(exported: ExportedProfile, plugin_path: str) -> dict[str, str]:
    """``Pulumi.yaml`` of a Pulumi YAML program declaring ``exported`` through the plugin at
    ``plugin_path`` (the directory holding pulumi-kiro's PulumiPlugin.yaml)."""
    lines = [YAML_HEADER.format(profile=quoted(exported.profile)).rstrip("\n")]
    lines += _left_out_comment(exported)
    lines += _project_lines(exported, "yaml", "Kiro profile settings and subscriptions")
    lines += [
        "plugins:",
        "  providers:",
        "    # The directory holding pulumi-kiro's PulumiPlugin.yaml; the engine runs it with",
        "    # the Python of PULUMI_PYTHON_CMD (else python3), which must have pulumi-kiro.",
        "    - name: kiro",
        f"      path: {yaml_scalar(plugin_path)}",
        "",
        "resources:",
        f"  {yaml_scalar(SETTINGS_NAME)}:",
        "    type: kiro:index:ProfileSettings",
        "    properties:",
        f"      overagesEnabled: {str(exported.overages_enabled).lower()}",
    ]
    if exported.groups:
        lines += ["", f"  # {GROUPS_COMMENT}"]
    for group in exported.groups:
        if group.note:
            lines.append(f"  # {group.name}: {group.note}")
        lines += _yaml_resource("GroupAssignment", group, "group")
    if exported.subscriptions:
        lines += ["", f"  # {SUBSCRIPTIONS_COMMENT}"]
    for sub in exported.subscriptions:
        lines += _yaml_resource("Subscription", sub, "user")
    return {"Pulumi.yaml": "\n".join(lines) + "\n"}


def _yaml_resource(kind: str, declared: Declared, field: str) -> list[str]:
    return [
        f"  {yaml_scalar(declared.name)}:",
        f"    type: kiro:index:{kind}",
        "    properties:",
        f"      {field}: {yaml_scalar(declared.reference)}",
        f"      tier: {yaml_scalar(declared.tier.value)}",
        "      adopt: true",
    ]


def _pulumi_yaml(exported: ExportedProfile, runtime: str, what: str) -> str:
    header = f"# Kiro profile {quoted(exported.profile)}, exported by `kiroctl export` ({what})."
    return "\n".join([header, *_project_lines(exported, runtime, "Kiro subscriptions")]) + "\n"


def _project_lines(exported: ExportedProfile, runtime: str, summary: str) -> list[str]:
    """The project: name, runtime, and the ``kiro:*`` config every stack of it starts from
    (project config: `pulumi config set` overrides it per stack)."""
    lines = [
        f"name: {exported.project_name}",
        f"runtime: {runtime}",
        f"description: {yaml_scalar(f'{summary} of profile {exported.profile}')}",
    ]
    if exported.config:
        lines += ["", "# Which profile, and where Kiro is reached (pulumi config set overrides)."]
        lines.append("config:")
        lines += [f"  {key}: {yaml_scalar(value)}" for key, value in exported.config.items()]
    return [*lines, ""]


# --- files ----------------------------------------------------------------------------------


def output_folder(out: str | None) -> Path:
    """Where the project goes: ``out`` (new, or an empty folder), else the current directory,
    which must be empty. Refused, naming what is in the way, before anything is read."""
    folder = Path(out) if out is not None else Path.cwd()
    if folder.is_dir():
        entries = sorted(p.name for p in folder.iterdir())
        if entries:
            shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
            where = f"{str(folder)!r}" if out is not None else "the current directory"
            raise ConflictError(
                f"out: {where} is not empty ({shown}); kiroctl export never overwrites a file: "
                "give --out a new folder",
                field="out",
            )
    elif folder.exists() or folder.is_symlink():
        raise ConflictError(
            f"out: {str(folder)!r} is a file; kiroctl export never overwrites a file: give "
            "--out a new folder",
            field="out",
        )
    return folder


def write_project(folder: Path, files: Mapping[str, str]) -> None:
    """Create ``folder`` if needed and write ``files`` into it, none over an existing file."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        try:
            with open(folder / name, "x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except FileExistsError:
            raise ConflictError(
                f"out: {str(folder / name)!r} appeared while exporting; not overwritten",
                field="out",
            ) from None


def plugin_folder(given: str | None) -> str:
    """The directory holding pulumi-kiro's PulumiPlugin.yaml, absolute: ``given``, else the
    checkout this kiroctl runs from (an editable install, as scripts/setup-venv makes)."""
    folder = Path(given) if given is not None else Path(__file__).resolve().parents[3]
    if not (folder / "PulumiPlugin.yaml").is_file():
        origin = "" if given is not None else " (beside this kiroctl's installation)"
        raise NotFoundError(
            f"plugin-path: {str(folder)!r}{origin} holds no PulumiPlugin.yaml; give "
            "--plugin-path the directory of a pulumi-kiro checkout (the one with "
            "PulumiPlugin.yaml at its root)",
            field="plugin-path",
        )
    return str(folder.resolve())


def summary(exported: ExportedProfile, folder: Path, language: str, shown_as: str) -> str:
    """What was written and left out, and the two commands that adopt it."""
    counts = (
        f"{len(exported.subscriptions):,} Subscription(s), "
        f"{len(exported.groups):,} GroupAssignment(s), ProfileSettings"
    )
    lines = [f"exported profile {exported.profile} to {shown_as} ({language}): {counts}"]
    left_out = []
    if exported.group_only:
        left_out.append(f"{exported.group_only:,} user(s) with a plan only through groups")
    if exported.canceled:
        left_out.append(f"{exported.canceled:,} canceled subscription(s)")
    if exported.managed_elsewhere:
        left_out.append(
            f"{len(exported.managed_elsewhere):,} managed by another Pulumi stack: "
            + ", ".join(exported.managed_elsewhere)
        )
    if left_out:
        lines.append("left out (no resource of their own): " + "; ".join(left_out))
    lines += [f"note: {g.name}: {g.note}" for g in exported.groups if g.note]
    cd = "" if folder == Path.cwd() else f"cd {shown_as} && "
    lines.append(f"next: {cd}pulumi stack init dev && pulumi up")
    return "\n".join(lines)


# --- the command ----------------------------------------------------------------------------


def export(session: Session, args: argparse.Namespace) -> str:
    """kiroctl export: check the output folder (and the plugin for YAML), read, render, write."""
    folder = output_folder(args.out)
    plugin = plugin_folder(args.plugin_path) if args.format == "yaml" else None
    if args.plugin_path is not None and plugin is None:
        raise ValidationError(
            f"plugin-path: {args.plugin_path!r} is for --format yaml only; the format is "
            f"{args.format!r}",
            field="plugin-path",
        )
    plane, profile = session.plane(), session.profile()
    exported = read_profile(plane, profile, kiro_config.stack_config(session.config))
    files = render_yaml(exported, plugin) if plugin is not None else render_python(exported)
    write_project(folder, files)
    return summary(exported, folder, args.format, args.out or ".")
