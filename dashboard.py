"""cpdash: the router. Page config, shared filters (kept in the URL), then the page the user chose."""

import streamlit as st

from cpdash import ui

st.set_page_config(page_title="cpdash · Community policing", page_icon="🤝", layout="wide")

settings = ui.get_settings()
st.session_state.setdefault("k", settings.k)
st.session_state.setdefault("public", settings.public)
st.session_state.setdefault("offline", settings.offline)

dataset = ui.get_dataset(settings)
ui.sidebar_filters(dataset, ui.get_data_bounds(settings, dataset))

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon="📊", url_path="overview", default=True),
    st.Page("pages/map.py", title="Map", icon="🗺️", url_path="map"),
    st.Page("pages/participation.py", title="Participation", icon="👥", url_path="participation"),
    st.Page("pages/community_voice.py", title="Community voice", icon="💬", url_path="community_voice"),
    st.Page("pages/you_said_we_did.py", title="You said, we did", icon="✅", url_path="you_said_we_did"),
    st.Page("pages/town_hall.py", title="Town hall", icon="🏛️", url_path="town_hall"),
    st.Page("pages/data.py", title="Data", icon="🗂️", url_path="data"),
]

with st.sidebar:
    st.caption(
        ("Public view: small numbers suppressed, comments redacted." if settings.public else "Staff view.")
        + f" Figures on fewer than {settings.k} responses are "
        + ("hidden." if settings.public else "flagged ⚠.")
    )

page = st.navigation(PAGES)
ui.data_banners(dataset)
page.run()
