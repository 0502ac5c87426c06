"""Who may see what: the role a signed-in visitor gets from the role file, and what each role allows.

Roles (one app for both audiences):
- public: aggregates only, small numbers suppressed, comments redacted, no row-level download;
- staff: everything (small numbers flagged ⚠, row-level downloads);
- analyst: staff plus imports.

With sign-in configured (`[auth]` in `.streamlit/secrets.toml`), an anonymous visitor is public and a
signed-in one gets the role the role file gives (`roles.toml` beside the data, or the file CPDASH_ROLES
names): by e-mail address, by the e-mail's domain, or by a group in the ID token's group claim. Analyst wins
when both match. Anyone signed in whom the file does not name is public, and so is everyone while the file
cannot be read (it fails closed). A sign-in lasts CPDASH_SIGNIN_HOURS from when the identity provider issued
it (the ID token's `iat`); after that the visitor is public until they sign in again. Without sign-in
configured, CPDASH_MODE decides as before (staff: everything, imports included). CPDASH_MODE=public pins the
public view whatever the visitor's cookie says (a kiosk), and offers no sign-in.

    # roles.toml
    [staff]
    domains = ["riverton.gov"]            # everyone whose e-mail ends in @riverton.gov
    groups = ["cpdash-staff"]             # or who is in this group (the ID token's `groups` claim)

    [analyst]
    emails = ["ana.lyst@riverton.gov"]
    groups = ["cpdash-analysts"]

    group_claim = "groups"                # optional: the claim that lists the groups (Entra ID: "roles")

An e-mail whose `email_verified` claim is false is not used (nor its domain).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cpdash.config import REPO_ROOT

ROLES_FILE = "roles.toml"
PUBLIC, STAFF, ANALYST = "public", "staff", "analyst"
ROLES = (PUBLIC, STAFF, ANALYST)
RULE_KEYS = ("emails", "domains", "groups")
DEFAULT_GROUP_CLAIM = "groups"
NO_SIGN_IN = "(sign-in not configured)"  # who acted, in the audit log, when nobody signs in


class RoleFileError(ValueError):
    """A role file that cannot be used (everyone signed in is then public)."""


@dataclass(frozen=True)
class Rule:
    """Who has one role: e-mail addresses, e-mail domains, groups (all kept in lower case)."""

    emails: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()

    def reason(self, visitor: Visitor) -> str | None:
        """Why the rule names `visitor` ("by e-mail", "by domain riverton.gov", "by group X"), or None."""
        if visitor.email and visitor.email in self.emails:
            return "by e-mail"
        if visitor.domain and visitor.domain in self.domains:
            return f"by domain {visitor.domain}"
        for group in visitor.groups:
            if group.lower() in self.groups:
                return f"by group {group}"
        return None


@dataclass(frozen=True)
class RoleFile:
    """The role file as read: the staff and analyst rules, the group claim, where it is, any problem."""

    staff: Rule = field(default_factory=Rule)
    analyst: Rule = field(default_factory=Rule)
    group_claim: str = DEFAULT_GROUP_CLAIM
    where: str = ROLES_FILE
    problem: str = ""  # why the file could not be used ("" when it could, or when there is none)
    found: bool = False


def roles_path(source: str | Path, configured: str = "") -> Path:
    """Where the role file is: CPDASH_ROLES when set, else `roles.toml` beside a folder's data, or for a
    database source in its mappings folder (CPDASH_PROFILES, else `mappings/`)."""
    if configured:
        return Path(configured)
    text = str(source)
    if "://" in text and not Path(text).exists():
        folder = os.environ.get("CPDASH_PROFILES", "").strip()
        return (Path(folder) if folder else REPO_ROOT / "mappings") / ROLES_FILE
    return Path(source) / ROLES_FILE


def _names(value: object, where: str, key: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RoleFileError(f"{where}: {key} must be a list of text values")
    names = {v.strip().lower() for v in value if v.strip()}
    if key.endswith("domains"):
        names = {n.removeprefix("@") for n in names}
    return frozenset(names)


def parse_roles(data: Mapping, where: str = ROLES_FILE) -> RoleFile:
    """The role file's TOML (as a dict) as rules; RoleFileError says what is wrong."""
    unknown = sorted(set(data) - {STAFF, ANALYST, "group_claim"})
    if unknown:
        raise RoleFileError(
            f"{where}: unknown section or key {', '.join(unknown)} (use [staff], [analyst] and group_claim)"
        )
    rules = {}
    for role in (STAFF, ANALYST):
        section = data.get(role, {})
        if not isinstance(section, Mapping):
            raise RoleFileError(f"{where}: [{role}] must be a section with emails, domains and groups")
        extra = sorted(set(section) - set(RULE_KEYS))
        if extra:
            raise RoleFileError(
                f"{where}: [{role}] has {', '.join(extra)}; it may have emails, domains, groups"
            )
        rules[role] = Rule(*(_names(section.get(k), where, f"[{role}] {k}") for k in RULE_KEYS))
    claim = data.get("group_claim", DEFAULT_GROUP_CLAIM)
    if not isinstance(claim, str) or not claim.strip():
        raise RoleFileError(f'{where}: group_claim must be the name of a claim, such as "groups"')
    return RoleFile(rules[STAFF], rules[ANALYST], claim.strip(), where, "", True)


def read_roles(path: Path) -> RoleFile:
    """The role file at `path`; no file: nobody has a role; a file that cannot be used: nobody has a role,
    and `problem` says why."""
    where = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return RoleFile(where=where)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return RoleFile(where=where, problem=f"{where} cannot be read ({exc})", found=True)
    try:
        return parse_roles(data, where)
    except RoleFileError as exc:
        return RoleFile(where=where, problem=str(exc), found=True)


@dataclass(frozen=True)
class Visitor:
    """Who is looking, from the ID token's claims (as Streamlit's st.user holds them)."""

    signed_in: bool = False
    subject: str = ""
    email: str = ""  # lower case; "" when absent or not verified
    name: str = ""
    groups: tuple[str, ...] = ()
    issuer: str = ""
    issued: datetime | None = None  # when the provider issued the ID token (its iat)
    provider: str = ""

    @property
    def domain(self) -> str:
        """The e-mail's domain ("" without a usable e-mail)."""
        return self.email.rpartition("@")[2] if "@" in self.email else ""

    @property
    def label(self) -> str:
        """How the page and the audit log name the visitor: the e-mail, else the name, else the subject."""
        return self.email or self.name or self.subject or "signed-in user"


def visitor(claims: Mapping, group_claim: str = DEFAULT_GROUP_CLAIM) -> Visitor:
    """The visitor that a user's claims describe (not signed in when `is_logged_in` is not true)."""
    if claims.get("is_logged_in") is not True:
        return Visitor()
    email = claims.get("email")
    verified = claims.get("email_verified", True) not in (False, "false", "False")
    groups = claims.get(group_claim) or ()
    if isinstance(groups, str):
        groups = (groups,)
    issued = claims.get("iat")
    try:
        when = datetime.fromtimestamp(float(issued), UTC) if issued is not None else None
    except (TypeError, ValueError, OverflowError, OSError):
        when = None
    return Visitor(
        signed_in=True,
        subject=str(claims.get("sub") or ""),
        email=email.strip().lower() if isinstance(email, str) and verified else "",
        name=str(claims.get("name") or ""),
        groups=tuple(str(g) for g in groups if isinstance(g, (str, int)))
        if isinstance(groups, (list, tuple))
        else (),
        issuer=str(claims.get("iss") or ""),
        issued=when,
        provider=str(claims.get("provider") or ""),
    )


@dataclass(frozen=True)
class Access:
    """What this visitor may see and do: the role, who they are, and what the sidebar says about it."""

    role: str = ANALYST  # no sign-in configured, staff mode: everything, as before sign-in existed
    sign_in: bool = False  # sign-in is offered (configured, and the deployment is not pinned public)
    who: Visitor = field(default_factory=Visitor)
    reason: str = ""  # how the role was given ("by domain riverton.gov") or why there is none
    note: str = ""  # something the visitor should know (an expired sign-in, a role file that cannot be read)

    @property
    def public(self) -> bool:
        """True when the visitor gets the public view (aggregates only, small numbers suppressed)."""
        return self.role == PUBLIC

    @property
    def can_import(self) -> bool:
        """Imports need the analyst role."""
        return self.role == ANALYST

    @property
    def rows(self) -> bool:
        """Row-level downloads need the staff or analyst role."""
        return self.role in (STAFF, ANALYST)

    @property
    def signed_in(self) -> bool:
        """True when a signed-in visitor's sign-in is in force."""
        return self.who.signed_in

    @property
    def actor(self) -> str:
        """Who acts, as the audit log records it."""
        return self.who.label if self.who.signed_in else NO_SIGN_IN if not self.sign_in else "anonymous"

    def import_refusal(self) -> str | None:
        """Why this visitor may not import (None when they may)."""
        if self.can_import:
            return None
        if not self.sign_in:
            return "Imports are made in the staff deployment; this public view only shows the data."
        if not self.signed_in:
            return "Imports need the analyst role: sign in (in the sidebar) with an analyst's account."
        return (
            f"Imports need the analyst role. You are signed in as {self.who.label} with the {self.role} role: "
            f"ask whoever keeps the role file ({ROLES_FILE}) to add you to [analyst]."
        )


def decide(
    claims: Mapping,
    roles: RoleFile,
    *,
    auth: bool,
    kiosk: bool,
    signin_hours: float,
    now: datetime | None = None,
) -> Access:
    """The visitor's access: `claims` are st.user's, `auth` whether sign-in is configured, `kiosk` whether
    the deployment is pinned public (CPDASH_MODE=public)."""
    if kiosk:
        return Access(PUBLIC, sign_in=False)
    if not auth:
        return Access(ANALYST, sign_in=False)
    who = visitor(claims, roles.group_claim)
    if not who.signed_in:
        return Access(PUBLIC, sign_in=True, reason="not signed in")
    now = now or datetime.now(UTC)
    if (
        who.issued is None
        or now - who.issued > timedelta(hours=signin_hours)
        or who.issued > now + timedelta(minutes=5)
    ):
        hours = f"{signin_hours:g} hour" + ("" if signin_hours == 1 else "s")
        return Access(
            PUBLIC,
            sign_in=True,
            reason="sign-in expired",
            note=f"Your sign-in has expired (a sign-in lasts {hours}): sign in again to see the staff view.",
        )
    if roles.problem:
        return Access(
            PUBLIC,
            sign_in=True,
            who=who,
            reason="the role file cannot be used",
            note=f"{roles.problem}. Until it is fixed, everyone signed in sees the public view.",
        )
    for role, rule in ((ANALYST, roles.analyst), (STAFF, roles.staff)):
        reason = rule.reason(who)
        if reason:
            return Access(role, sign_in=True, who=who, reason=reason)
    return Access(
        PUBLIC,
        sign_in=True,
        who=who,
        reason=f"not named in {roles.where}" if roles.found else f"no role file ({roles.where})",
        note=f"{who.label} has no role in {roles.where}, so this is the public view.",
    )
