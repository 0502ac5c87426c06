"""One page context per run: settings, data set, statistics source, filters, policy and what limits them.

The router (dashboard.py) builds it once per run, after drawing the shared sidebar filters; every page
takes it with `page_context()` instead of reading settings, caches and session state itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from cpdash.config import Settings
from cpdash.data.dataset import Dataset
from cpdash.data.roles import Access
from cpdash.metrics.gather import Source
from cpdash.metrics.periods import PREVIOUS, Filters
from cpdash.metrics.suppression import Policy

CONTEXT_KEY = "page_context"


@dataclass(frozen=True)
class PageContext:
    """What a page needs: the deployment's settings, the data, the filters and the small-numbers policy."""

    settings: Settings
    ds: Dataset
    src: Source
    filters: Filters
    policy: Policy
    names: dict[str, str]  # area_id -> name
    compare: str = PREVIOUS
    notes: tuple[str, ...] = field(default_factory=tuple)  # e.g. a link asked for a period outside the data
    access: Access = field(default_factory=Access)  # the visitor's role: what they may see and do
    phone: bool = False  # the browser says it is a phone's (its maps are fitted to a narrow screen)

    @property
    def public(self) -> bool:
        """True in the public view."""
        return self.policy.public

    @property
    def rows(self) -> bool:
        """True when row-level downloads may be offered (staff and analysts)."""
        return self.access.rows and not self.policy.public

    @property
    def k(self) -> int:
        """The fewest responses a figure may rest on."""
        return self.policy.k

    @property
    def offline(self) -> bool:
        """True when no request may leave for an outside host."""
        return self.settings.offline


def on_a_phone() -> bool:
    """True when the visitor's browser says it runs on a phone ("Mobi" in its User-Agent, as phones' browsers
    send and tablets' do not): the server cannot see the screen's width before the page is drawn."""
    try:
        agent = st.context.headers.get("User-Agent") or ""
    except (AttributeError, RuntimeError):  # no browser behind the run (a script run without a session)
        return False
    return "Mobi" in agent


def keep(context: PageContext) -> None:
    """Keep the context the router built for this run (for page_context)."""
    st.session_state[CONTEXT_KEY] = context


def page_context() -> PageContext:
    """The context the router built for this run (reruns through the router when a page ran without it)."""
    if PagesManager.uses_pages_directory is not False or CONTEXT_KEY not in st.session_state:
        _run_through_router()
    return st.session_state[CONTEXT_KEY]


def _run_through_router() -> None:
    """Rerun so that dashboard.py draws the filters before the page.

    Streamlit treats a `pages/` folder as an old-style multipage app until the first st.navigation call in
    the process, so the very first visit to a page's URL after a restart runs the page alone (without the
    router). Marking the folder as not auto-discovered and rerunning sends that visit through the router.
    """
    PagesManager.uses_pages_directory = False
    st.rerun()
