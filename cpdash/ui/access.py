"""Sign-in and the audit log, the Streamlit side: who is looking (Streamlit's own OIDC sign-in, st.user),
the role the role file gives them (cpdash.data.roles), the sidebar's account box, and recording sign-ins,
imports and row-level downloads (cpdash.importing.audit).

Sign-in is on when `.streamlit/secrets.toml` has an `[auth]` section (Streamlit's keys: redirect_uri,
cookie_secret, and client_id, client_secret, server_metadata_url for one provider, or one `[auth.NAME]`
section per provider). Streamlit keeps the sign-in in a signed cookie; st.user holds the ID token's claims.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import streamlit as st

from cpdash.config import Settings
from cpdash.data.database import make_engine
from cpdash.data.load import is_database
from cpdash.data.roles import PUBLIC, Access, RoleFile, decide, read_roles, roles_path
from cpdash.importing.audit import (
    DOWNLOAD,
    IMPORT,
    SIGN_IN,
    SIGN_OUT,
    AuditEntry,
    AuditError,
    DatabaseAudit,
    FolderAudit,
    audit_frame,
    filters_text,
    open_audit,
    sign_in_ref,
)
from cpdash.importing.journal import LogEntry
from cpdash.metrics.periods import Filters
from cpdash.views.format import markdown_text as md

logger = logging.getLogger(__name__)
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
SHARED_KEYS = ("redirect_uri", "cookie_secret")
SEEN_KEY = "auth_sign_in_seen"  # the sign-in this session has recorded
RECENT_SIGN_IN_MINUTES = 15  # a session opened this soon after the ID token was issued follows a sign-in


def _auth_section() -> Mapping | None:
    """The `[auth]` section of secrets.toml, or None (no secrets file, no section)."""
    try:
        if not st.secrets.load_if_toml_exists():
            return None
        section = st.secrets.get("auth")
    except Exception:  # a secrets file that cannot be parsed: no sign-in, as without one
        logger.warning("secrets.toml cannot be read: sign-in is off")
        return None
    return section if isinstance(section, Mapping) else None


def providers() -> list[str]:
    """The identity providers sign-in offers: ["default"] for one configured in `[auth]` itself, else the
    names of its `[auth.NAME]` sections; [] when sign-in is not configured."""
    section = _auth_section()
    if section is None:
        return []
    if all(key in section for key in PROVIDER_KEYS):
        return ["default"]
    return sorted(
        name
        for name, value in section.items()
        if isinstance(value, Mapping) and all(key in value for key in PROVIDER_KEYS) and "_" not in name
    )


def configuration_problem() -> str | None:
    """What a configured `[auth]` section lacks for sign-in to work (None when complete or absent)."""
    section = _auth_section()
    if section is None:
        return None
    missing = [key for key in SHARED_KEYS if key not in section]
    if not providers():
        missing.append("a provider (client_id, client_secret, server_metadata_url)")
    return f"the [auth] section of secrets.toml lacks {', '.join(missing)}" if missing else None


@st.cache_resource(show_spinner=False, max_entries=8)
def _roles(path: str, stamp: str) -> RoleFile:
    """The role file, read again only when it changes (`stamp`: its size and modification time)."""
    return read_roles(Path(path))


def get_roles(settings: Settings) -> RoleFile:
    """The deployment's role file as it is now."""
    path = roles_path(settings.data, settings.roles)
    try:
        stat = path.stat()
        stamp = f"{stat.st_size}:{stat.st_mtime_ns}"
    except OSError:
        stamp = "none"
    return _roles(str(path), stamp)


def get_access(settings: Settings) -> Access:
    """This visitor's access (recording a new sign-in in the audit log once)."""
    auth = bool(providers()) and configuration_problem() is None
    claims = st.user.to_dict() if auth and not settings.kiosk else {}
    access = decide(
        claims,
        get_roles(settings),
        auth=auth,
        kiosk=settings.kiosk,
        signin_hours=settings.signin_hours,
    )
    if access.signed_in:
        _record_sign_in(settings, access)
    return access


def _record_sign_in(settings: Settings, access: Access) -> None:
    """Record a sign-in the first time a session sees it (a cookie reused days later is no new sign-in)."""
    who = access.who
    ref = sign_in_ref(who.issuer, who.subject, who.issued)
    if st.session_state.get(SEEN_KEY) == ref:
        return
    st.session_state[SEEN_KEY] = ref
    if who.issued is None or datetime.now(UTC) - who.issued > timedelta(minutes=RECENT_SIGN_IN_MINUTES):
        return
    entry = AuditEntry(
        who.label,
        access.role,
        SIGN_IN,
        f"signed in with {who.provider or 'the identity provider'} ({who.issuer}); role {access.role}: "
        f"{access.reason}",
        ref=ref,
    )
    try:
        get_audit(settings).record_once(entry)
    except AuditError as exc:
        logger.warning("a sign-in could not be recorded: %s", exc)


@st.cache_resource(show_spinner=False, max_entries=4)
def _audit(data: str, cache_dir: str) -> FolderAudit | DatabaseAudit:
    """The audit log of a source (a database's with a pool of its own), shared by every session."""
    return open_audit(data, Path(cache_dir), make_engine(data) if is_database(data) else None)


def get_audit(settings: Settings) -> FolderAudit | DatabaseAudit:
    """The data source's audit log."""
    return _audit(str(settings.data), str(settings.cache_dir))


def recorder(
    settings: Settings, access: Access, f: Filters | None, what: str
) -> Callable[[int | None], None]:
    """A function that records one row-level download of `what` (call it when the file is made, with its
    number of rows); it raises when the record cannot be written, so that no such file goes out unrecorded."""
    audit = get_audit(settings)
    who, role = access.actor, access.role
    where = filters_text(f) if f is not None else ""

    def record(rows: int | None) -> None:
        try:
            audit.record(AuditEntry(who, role, DOWNLOAD, what, rows, where))
        except AuditError as exc:
            logger.error("a download was refused: it could not be recorded (%s)", exc)
            raise

    return record


def record_import(settings: Settings, access: Access, entry: LogEntry) -> str | None:
    """Record an import that was committed; the problem when it could not be recorded."""
    what = f"{entry.file} into {entry.written} ({entry.mode}; rows rejected: {entry.rejected:,})"
    try:
        get_audit(settings).record(AuditEntry(access.actor, access.role, IMPORT, what, entry.accepted))
    except AuditError as exc:
        return str(exc)
    return None


def _sign_out(settings: Settings, access: Access) -> None:
    """Record the sign-out, then sign out (Streamlit clears the cookie and asks the provider too)."""
    try:
        get_audit(settings).record(AuditEntry(access.who.label, access.role, SIGN_OUT, "signed out"))
    except AuditError as exc:
        logger.warning("a sign-out could not be recorded: %s", exc)
    st.logout()


def account_sidebar(settings: Settings, access: Access) -> None:
    """Who is signed in and in which role, with Sign in / Sign out (only when sign-in is configured)."""
    problem = configuration_problem()
    if problem and not settings.kiosk:
        st.warning(f"Sign-in is off: {md(problem)}.", icon="🔑")
    if not access.sign_in:
        return
    box = st.container(border=True, key="sidebar_account")
    if access.signed_in:
        box.markdown(
            f"Signed in as **{md(access.who.label)}**  \nRole: **{access.role}**"
            + (f" ({md(access.reason)})" if access.role != PUBLIC else "")
        )
        if access.note:
            box.caption(md(access.note))
        if box.button("Sign out", key="sidebar_sign_out", icon="🚪", width="stretch"):
            _sign_out(settings, access)
        return
    box.markdown("Not signed in: **public view**.")
    if access.note:
        box.caption(md(access.note))
    for name in providers():
        label = "Sign in" if name == "default" else f"Sign in with {name}"
        if box.button(label, key=f"sidebar_sign_in_{name}", icon="🔑", type="primary", width="stretch"):
            st.login(name if name != "default" else None)


def audit_section(settings: Settings, access: Access) -> None:
    """The audit log, newest first (staff and analysts only)."""
    if not access.rows:
        return
    log = get_audit(settings)
    try:
        entries = log.read()
    except AuditError as exc:
        st.warning(md(str(exc)), icon="⚠️")
        return
    where = "the `cpdash_audit` table" if isinstance(log, DatabaseAudit) else f"`{md(str(log.path.name))}`"
    st.markdown(
        "Every sign-in, sign-out, import and row-level download: who, when (UTC), what, how many rows and "
        f"under which filters. Kept in {where} of the data store; the newest {len(entries):,} are shown."
    )
    if not entries:
        st.info("Nothing has been recorded yet.", icon="ℹ️")
        return
    st.dataframe(audit_frame(entries), hide_index=True, key="data_audit_log")
