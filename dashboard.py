"""cpdash: the router. Page config, the shared data and sidebar filters (kept in the URL), the page context,
then the page the user chose."""

import streamlit as st

from cpdash import ui
from cpdash.metrics.suppression import Policy
from cpdash.ui import access as account

st.set_page_config(page_title="cpdash · Community policing", page_icon="🤝", layout="wide")

settings = ui.get_settings()
access = account.get_access(settings)  # the visitor's role (signed in, or as CPDASH_MODE says)
with st.sidebar:
    account.account_sidebar(settings, access)
dataset = ui.get_dataset(settings)
source = ui.get_source(settings, dataset)
filters, notes, names, compare = ui.sidebar_filters(dataset, source.extent(), ui.get_signature(settings))
policy = Policy(settings.k, access.public)
filters, widened = ui.get_public_period(settings, source, filters, policy)  # public: whole blocks of months
notes = [*notes, widened] if widened else notes
context = ui.PageContext(
    settings,
    dataset,
    source,
    filters,
    policy,
    names,
    compare,
    notes=tuple(notes),
    access=access,
    phone=ui.on_a_phone(),
)
ui.keep(context)
refused = ui.get_refusal(context)  # a choice of areas or programs that would give away small figures
ui.install_style()

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon="📊", url_path="home", default=True),
    st.Page("pages/map.py", title="Map", icon="🗺️", url_path="map"),
    st.Page("pages/participation.py", title="Participation", icon="👥", url_path="participation"),
    st.Page("pages/community_voice.py", title="Community voice", icon="💬", url_path="community_voice"),
    st.Page("pages/you_said_we_did.py", title="You said, we did", icon="✅", url_path="you_said_we_did"),
    st.Page("pages/town_hall.py", title="Town hall", icon="🏛️", url_path="town_hall"),
    st.Page("pages/data.py", title="Data", icon="🗂️", url_path="data"),
]


def bookmarked_overview() -> None:
    """/overview (a bookmark or a typed address): the Overview, which lives at /, with the link's filters."""
    st.switch_page(PAGES[0], query_params={})  # {}: the filters, drawn already, keep the link's values


# Not in the navigation (cpdash.ui.style hides its link): only so that /overview is never "Page not found".
PAGES.append(st.Page(bookmarked_overview, title="Overview", icon="📊", url_path="overview"))

with st.sidebar:
    st.caption(
        ("Public view: small numbers suppressed, comments redacted." if policy.public else "Staff view.")
        + f" Figures on fewer than {settings.k} responses are "
        + ("hidden." if policy.public else "flagged ⚠.")
    )

page = st.navigation(PAGES)
ui.data_banners(dataset)
if refused and page.url_path != "data":
    st.title(page.title)
    st.warning(refused, icon="🔒")
else:
    page.run()
