"""The server's one Chromium for the town-hall PDF and PNGs: started by the first export, kept warm after."""

from __future__ import annotations

import streamlit as st

from cpdash.export.chromium import Chromium, browser_available


@st.cache_resource(show_spinner=False, on_release=Chromium.close)
def _chromium() -> Chromium:
    """The process's Chromium, shared by every session (it draws one export at a time, each in a clean page)."""
    return Chromium()


def get_chromium() -> Chromium | None:
    """The Chromium that draws this server's town-hall PDF and PNGs; None when Chromium is not installed."""
    return _chromium() if browser_available() else None
