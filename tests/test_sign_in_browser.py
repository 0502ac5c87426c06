"""Sign-in for real: an OpenID Connect provider on loopback (oidc-provider-mock, a standards-compliant
provider run in this process), the app configured for it in a secrets.toml of its own, and headless Chromium
signing in through the provider's pages, as a person would.

Checked: an anonymous visitor gets the public view; staff signed in see small numbers flagged ⚠ and are
offered row-level downloads (recorded in the audit log when the file is made), and are told why they may not
import; an analyst may import; signing out gives the public view again; a forged cookie, a cookie whose
sign-in is older than CPDASH_SIGNIN_HOURS and a cookie past Streamlit's own age limit all get the public view.
Nothing patches st.user: the app reads Streamlit's own signed cookie.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from cpdash.data.roles import ROLES_FILE
from cpdash.importing.audit import AUDIT_FILE
from cpdash.importing.store import STATE_FOLDER
from scripts.serve import CHROMIUM, AppServer, free_port, launch_chromium, wait_for_idle
from tests import small_groups

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # the provider's own use of older Authlib APIs
]
if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium", allow_module_level=True)
oidc_provider_mock = pytest.importorskip("oidc_provider_mock", reason="pip install -r requirements-dev.txt")
werkzeug_serving = pytest.importorskip("werkzeug.serving")

COOKIE_SECRET = "test-only-cookie-secret-4b9d1e0c7a2f"
USER_COOKIE = "_streamlit_user"  # Streamlit's identity cookie (signed with cookie_secret)
SIGNIN_HOURS = 8
USERS = {  # sub -> the claims the provider puts in the ID token
    "sam": {"email": "sam@riverton.gov", "email_verified": True, "name": "Sam Staff"},
    "ana": {"email": "ana@analysts.example", "name": "Ana Lyst", "groups": ["cpdash-analysts"]},
    "rae": {"email": "rae@resident.example", "name": "Rae Resident"},
}
ROLE_FILE = """
[staff]
domains = ["riverton.gov"]

[analyst]
groups = ["cpdash-analysts"]
"""
SMALL_AREA = "/?filter_area=Quill+Cove"  # 3 responses: under k
SIDEBAR = "[data-testid=stSidebar]"


@dataclass
class Deployment:
    """The app, its provider and its data folder."""

    app: AppServer
    provider_url: str
    data: Path
    browser: Browser

    @property
    def url(self) -> str:
        """The app's base URL."""
        return self.app.url

    def audit(self) -> list[dict]:
        """What the audit log holds."""
        path = self.data / STATE_FOLDER / AUDIT_FILE
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """An OpenID Connect provider on 127.0.0.1 with three people to sign in as."""
    users = [oidc_provider_mock.User(sub=sub, claims=claims) for sub, claims in USERS.items()]
    app = oidc_provider_mock.app(user_claims=users)
    server = werkzeug_serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


@pytest.fixture(scope="module")
def deployment(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The app with sign-in configured for the provider, on the small-groups data with a role file."""
    root = tmp_path_factory.mktemp("sign-in")
    data = small_groups.write(root / "small")
    (data / ROLES_FILE).write_text(ROLE_FILE, encoding="utf-8")
    port = free_port()
    secrets = root / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{COOKIE_SECRET}"\n'
        'client_id = "cpdash"\n'
        'client_secret = "cpdash-test-client-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    env = {"CPDASH_K": str(small_groups.K), "CPDASH_SIGNIN_HOURS": str(SIGNIN_HOURS), "CPDASH_MODE": "staff"}
    app = AppServer(data, port=port, env=env, args=["--secrets.files", str(secrets)])
    with app, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield Deployment(app, provider, data, browser)
        finally:
            browser.close()


def new_context(d: Deployment) -> BrowserContext:
    """A fresh browser profile (no cookies) that never reaches past this machine (the provider's pages
    link a stylesheet on the internet: it is not fetched)."""
    context = d.browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith("http://127.0.0.1:") else route.abort()
        ),
    )
    return context


def open_app(page: Page, d: Deployment, path: str = "/") -> None:
    page.goto(d.url + path, wait_until="domcontentloaded")
    wait_for_idle(page)


def sidebar(page: Page) -> str:
    return page.locator(SIDEBAR).inner_text()


def trust_card(page: Page) -> str:
    """The Overview's trust KPI card, label and value."""
    card = page.locator("[data-testid=stMetric]", has_text="Trust score").first
    return card.inner_text()


def sign_in(page: Page, d: Deployment, sub: str) -> None:
    """Sign in through the provider's own pages as `sub`, and come back to the app."""
    open_app(page, d)
    page.locator(SIDEBAR).get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{d.provider_url}/oauth2/authorize**")
    page.get_by_role("button", name=sub, exact=True).click()
    page.wait_for_url(f"{d.url}/**")
    wait_for_idle(page)
    page.locator(SIDEBAR).get_by_text("Signed in as").wait_for()


def assert_public(page: Page, d: Deployment) -> None:
    """The public view: no small number on the Overview, no row-level download, no audit log."""
    open_app(page, d, SMALL_AREA)
    assert "Not signed in: public view" in sidebar(page)
    assert "hidden." in sidebar(page)
    card = trust_card(page)
    assert "97" not in card and "⚠" not in card and "n=3" not in card
    open_app(page, d, "/you_said_we_did")
    assert page.get_by_role("button", name="open concerns (CSV)").count() == 0
    open_app(page, d, "/data")
    assert page.get_by_role("tab", name="Audit log").count() == 0


def test_anonymous_visitors_get_the_public_view_with_a_sign_in_button(deployment: Deployment) -> None:
    context = new_context(deployment)
    page = context.new_page()
    try:
        assert_public(page, deployment)  # ends on the Data page
        assert page.get_by_role("tab", name="Validation report").is_visible()
        assert page.get_by_role("tab", name="Import a file").count() == 0  # the public Data page has none
        assert page.locator("[data-testid=stFileUploader]").count() == 0
        assert page.locator(SIDEBAR).get_by_role("button", name="Sign in", exact=True).is_visible()
    finally:
        context.close()


def test_staff_sign_in_see_the_staff_view_download_rows_then_sign_out(deployment: Deployment) -> None:
    d = deployment
    context = new_context(d)
    page = context.new_page()
    try:
        sign_in(page, d, "sam")
        assert "Signed in as sam@riverton.gov" in sidebar(page) and "Role: staff" in sidebar(page)
        assert "by domain riverton.gov" in sidebar(page)
        open_app(page, d, SMALL_AREA)
        card = trust_card(page)
        assert "n=3" in card and "97" in card and "⚠" in card  # a figure under k, flagged

        signed_in = [e for e in d.audit() if e["action"] == "sign-in" and e["who"] == "sam@riverton.gov"]
        assert len(signed_in) == 1 and signed_in[0]["role"] == "staff"

        open_app(page, d, "/you_said_we_did")
        button = page.get_by_role("button", name="open concerns (CSV)")
        before = [e for e in d.audit() if e["action"] == "download"]
        assert before == []  # offered, not yet made: nothing recorded
        with page.expect_download() as download:
            button.click()
        assert b"concern" in Path(download.value.path()).read_bytes().lower()
        (made,) = [e for e in d.audit() if e["action"] == "download"]
        assert made["who"] == "sam@riverton.gov" and made["role"] == "staff" and made["rows"] > 0
        assert "open concerns" in made["what"] and made["filters"].endswith("programs all")

        open_app(page, d, "/data")
        page.get_by_role("tab", name="Import a file").click()
        assert page.get_by_text(
            "Imports need the analyst role. You are signed in as sam@riverton.gov"
        ).is_visible()
        assert page.locator("[data-testid=stFileUploader]").count() == 0
        page.get_by_role("tab", name="Audit log").click()
        log = page.locator("[data-testid=stDataFrame]").last
        log.wait_for()

        page.locator(SIDEBAR).get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{d.provider_url}/oauth2/end_session**")
        page.get_by_role("button", name="End session").click()
        page.wait_for_url(f"{d.url}/**")
        wait_for_idle(page)
        assert USER_COOKIE not in {c["name"] for c in context.cookies()}
        assert_public(page, d)
        assert [e["who"] for e in d.audit() if e["action"] == "sign-out"] == ["sam@riverton.gov"]
    finally:
        context.close()


def test_an_analyst_may_import(deployment: Deployment) -> None:
    context = new_context(deployment)
    page = context.new_page()
    try:
        sign_in(page, deployment, "ana")
        assert "Role: analyst" in sidebar(page) and "by group cpdash-analysts" in sidebar(page)
        open_app(page, deployment, "/data")
        page.get_by_role("tab", name="Import a file").click()
        page.locator("[data-testid=stFileUploader]").wait_for()
        page.get_by_role("tab", name="Audit log").click()
        assert page.get_by_role("tab", name="Audit log").is_visible()
    finally:
        context.close()


def test_someone_the_role_file_does_not_name_gets_the_public_view(deployment: Deployment) -> None:
    context = new_context(deployment)
    page = context.new_page()
    try:
        sign_in(page, deployment, "rae")
        text = sidebar(page)
        assert "Signed in as rae@resident.example" in text and "Role: public" in text
        assert "has no role in roles.toml" in text
        open_app(page, deployment, SMALL_AREA)
        assert "⚠" not in trust_card(page) and "97" not in trust_card(page)
    finally:
        context.close()


def signed_cookie(claims: dict, secret: str, *, age_days: float = 0) -> str:
    """A value for Streamlit's identity cookie, signed as Streamlit signs it (itsdangerous, the cookie's name
    as salt), `age_days` old."""
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    class Aged(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - age_days * 86400)

    serializer = URLSafeTimedSerializer(secret, salt=USER_COOKIE, signer=Aged)
    return serializer.dumps(json.dumps(claims))


def cookie_claims(d: Deployment, sub: str, issued_hours_ago: float) -> dict:
    issued = int(time.time() - issued_hours_ago * 3600)
    return {
        **USERS[sub],
        "sub": sub,
        "iss": d.provider_url,
        "aud": ["cpdash"],
        "iat": issued,
        "exp": issued + 3600,
        "origin": d.url,
        "is_logged_in": True,
        "provider": "default",
    }


@pytest.mark.parametrize(
    ("case", "secret", "issued_hours_ago", "age_days"),
    [
        ("forged: signed with another secret", "not-the-deployment-secret-0123456789", 0.1, 0),
        ("sign-in older than CPDASH_SIGNIN_HOURS", COOKIE_SECRET, SIGNIN_HOURS + 1, 0),
        ("cookie older than Streamlit accepts", COOKIE_SECRET, 0.1, 40),
    ],
)
def test_a_forged_or_expired_cookie_gets_the_public_view(
    deployment: Deployment, case: str, secret: str, issued_hours_ago: float, age_days: float
) -> None:
    d = deployment
    context = new_context(d)
    value = signed_cookie(cookie_claims(d, "ana", issued_hours_ago), secret, age_days=age_days)
    context.add_cookies([{"name": USER_COOKIE, "value": value, "url": d.url + "/"}])
    page = context.new_page()
    try:
        open_app(page, d, SMALL_AREA)
        text = sidebar(page)
        assert "Role: analyst" not in text and "Signed in as" not in text, case
        assert "hidden." in text
        card = trust_card(page)
        assert "⚠" not in card and "97" not in card, case
        if "SIGNIN_HOURS" in case:
            assert "Your sign-in has expired" in text
    finally:
        context.close()


def test_a_cookie_signed_with_the_secret_and_fresh_is_accepted(deployment: Deployment) -> None:
    """The control for the test above: the same cookie, fresh and rightly signed, signs the analyst in."""
    d = deployment
    context = new_context(d)
    value = signed_cookie(cookie_claims(d, "ana", 0.1), COOKIE_SECRET)
    context.add_cookies([{"name": USER_COOKIE, "value": value, "url": d.url + "/"}])
    page = context.new_page()
    try:
        open_app(page, d)
        assert "Role: analyst" in sidebar(page)
    finally:
        context.close()
