"""Roles: the role file's format, who gets which role from an ID token's claims, and what each role allows.

The claims here are what Streamlit's st.user holds after a sign-in; these tests give them to the
Streamlit-free decision directly (the browser test signs in for real, through an OIDC provider).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cpdash.data.roles import (
    ANALYST,
    ROLES_FILE,
    STAFF,
    RoleFileError,
    decide,
    parse_roles,
    read_roles,
    roles_path,
    visitor,
)

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
ROLE_FILE = """
[staff]
domains = ["Riverton.gov"]
groups = ["cpdash-staff"]

[analyst]
emails = ["Ana.Lyst@riverton.gov"]
groups = ["cpdash-analysts"]
"""


def claims(email: str | None = "sam@riverton.gov", minutes_ago: float = 1, **more) -> dict:
    """A signed-in user's claims, issued `minutes_ago`."""
    issued = NOW - timedelta(minutes=minutes_ago)
    out = {"is_logged_in": True, "sub": "u1", "iss": "https://idp", "iat": int(issued.timestamp()), **more}
    if email is not None:
        out["email"] = email
    return out


@pytest.fixture
def roles(tmp_path: Path):
    (tmp_path / ROLES_FILE).write_text(ROLE_FILE, encoding="utf-8")
    return read_roles(tmp_path / ROLES_FILE)


def access(user: dict, roles, *, auth: bool = True, kiosk: bool = False, hours: float = 12):
    return decide(user, roles, auth=auth, kiosk=kiosk, signin_hours=hours, now=NOW)


def test_without_sign_in_configured_the_mode_decides_as_before(roles) -> None:
    staff = access(claims(), roles, auth=False)
    assert staff.role == ANALYST and staff.can_import and staff.rows and not staff.public
    assert not staff.sign_in
    kiosk = access(claims(), roles, auth=False, kiosk=True)
    assert kiosk.public and not kiosk.sign_in and not kiosk.rows and not kiosk.can_import


def test_a_kiosk_is_public_whatever_the_cookie_says(roles) -> None:
    pinned = access(claims("ana.lyst@riverton.gov"), roles, kiosk=True)
    assert pinned.public and not pinned.sign_in and not pinned.signed_in


def test_an_anonymous_visitor_is_public(roles) -> None:
    anonymous = access({"is_logged_in": False}, roles)
    assert anonymous.public and anonymous.sign_in and not anonymous.signed_in
    assert "sign in" in anonymous.import_refusal()
    assert access({}, roles).public


@pytest.mark.parametrize(
    ("user", "role", "reason"),
    [
        (claims("sam@riverton.gov"), STAFF, "by domain riverton.gov"),
        (claims("SAM@Riverton.GOV"), STAFF, "by domain riverton.gov"),
        (claims("ana.lyst@riverton.gov"), ANALYST, "by e-mail"),
        (claims("x@example.org", groups=["cpdash-analysts"]), ANALYST, "by group cpdash-analysts"),
        (claims("x@example.org", groups=["other", "CPDASH-STAFF"]), STAFF, "by group CPDASH-STAFF"),
        (claims("x@example.org", groups="cpdash-staff"), STAFF, "by group cpdash-staff"),
        (claims("sam@riverton.gov", groups=["cpdash-analysts"]), ANALYST, "by group cpdash-analysts"),
        (claims(None, groups=["cpdash-staff"]), STAFF, "by group cpdash-staff"),
    ],
)
def test_roles_by_email_domain_and_group(roles, user: dict, role: str, reason: str) -> None:
    got = access(user, roles)
    assert (got.role, got.reason) == (role, reason)
    assert got.rows and got.signed_in and not got.public
    assert got.can_import is (role == ANALYST)


def test_staff_may_not_import_and_are_told_why(roles) -> None:
    staff = access(claims("sam@riverton.gov"), roles)
    refusal = staff.import_refusal()
    assert "analyst role" in refusal and "sam@riverton.gov" in refusal and "staff role" in refusal
    assert access(claims("ana.lyst@riverton.gov"), roles).import_refusal() is None


@pytest.mark.parametrize(
    "user",
    [
        claims("someone@gmail.com"),
        claims("sam@riverton.gov.evil.example"),
        claims("sam@sub.riverton.gov"),
        claims("sam@riverton.gov", email_verified=False),  # an unverified e-mail is not used
        claims("x@example.org", groups=["cpdash-analysts-not"]),
    ],
)
def test_anyone_signed_in_whom_the_file_does_not_name_is_public(roles, user: dict) -> None:
    got = access(user, roles)
    assert got.public and got.signed_in and not got.rows and not got.can_import
    assert "no role" in got.note


def test_a_sign_in_lasts_as_long_as_the_setting_says(roles) -> None:
    assert access(claims(minutes_ago=11 * 60), roles).role == STAFF
    expired = access(claims(minutes_ago=13 * 60), roles)
    assert expired.public and expired.sign_in and not expired.signed_in and "expired" in expired.note
    assert access(claims(minutes_ago=90), roles, hours=1).public
    no_time = claims()
    del no_time["iat"]
    assert access(no_time, roles).public  # no issue time: it cannot be checked, so it is not trusted
    assert access(claims(minutes_ago=-60), roles).public  # issued in the future


def test_a_group_claim_of_another_name(tmp_path: Path) -> None:
    rules = parse_roles({"staff": {"groups": ["Officers"]}, "group_claim": "roles"})
    assert (
        decide(
            claims("x@y.z", roles=["officers"]), rules, auth=True, kiosk=False, signin_hours=12, now=NOW
        ).role
        == STAFF
    )
    assert decide(
        claims("x@y.z", groups=["officers"]), rules, auth=True, kiosk=False, signin_hours=12, now=NOW
    ).public


def test_no_role_file_means_no_role(tmp_path: Path) -> None:
    rules = read_roles(tmp_path / ROLES_FILE)
    assert not rules.found and not rules.problem
    got = access(claims(), rules)
    assert got.public and "no role file" in got.reason


@pytest.mark.parametrize(
    "text",
    [
        "[staff\nemails = 1",  # not TOML
        "[staff]\nemails = 'a@b.c'\nphones = ['1']",  # an unknown key
        "[admin]\nemails = ['a@b.c']",  # an unknown role
        "[staff]\nemails = [1, 2]",
        "staff = 3",
        "group_claim = ''",
    ],
)
def test_a_role_file_that_cannot_be_used_fails_closed(tmp_path: Path, text: str) -> None:
    (tmp_path / ROLES_FILE).write_text(text, encoding="utf-8")
    rules = read_roles(tmp_path / ROLES_FILE)
    assert rules.problem and rules.found
    got = access(claims("sam@riverton.gov", groups=["cpdash-staff"]), rules)
    assert got.public and ROLES_FILE in got.note


def test_parse_roles_says_what_is_wrong() -> None:
    with pytest.raises(RoleFileError, match=r"\[staff\] has phones"):
        parse_roles({"staff": {"phones": ["1"]}})
    rules = parse_roles({"staff": {"domains": ["@Riverton.gov"], "emails": "A@B.C"}})
    assert rules.staff.domains == {"riverton.gov"} and rules.staff.emails == {"a@b.c"}


def test_where_the_role_file_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert roles_path(tmp_path) == tmp_path / ROLES_FILE
    assert roles_path(tmp_path, str(tmp_path / "x.toml")) == tmp_path / "x.toml"
    monkeypatch.setenv("CPDASH_PROFILES", str(tmp_path / "maps"))
    assert roles_path("postgresql+psycopg://u@h/db") == tmp_path / "maps" / ROLES_FILE


def test_the_visitor_from_claims() -> None:
    who = visitor(claims("Sam@Riverton.gov", name="Sam", groups=["a", 3, None]))
    assert who.signed_in and who.email == "sam@riverton.gov" and who.domain == "riverton.gov"
    assert who.groups == ("a", "3") and who.label == "sam@riverton.gov"
    assert who.issued == NOW - timedelta(minutes=1)
    assert visitor(claims(None, name="Sam")).label == "Sam"
    assert not visitor({"is_logged_in": "true"}).signed_in  # only Streamlit's own True counts


def test_editing_the_role_file_does_not_reload_the_data(folder_source: Path) -> None:
    from cpdash.data.load import source_signature

    before = source_signature(folder_source)
    (folder_source / ROLES_FILE).write_text(ROLE_FILE, encoding="utf-8")
    assert source_signature(folder_source) == before
