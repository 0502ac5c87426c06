"""Streamlit glue: cached loading, the page context, the shared sidebar filters and components.
The only part of cpdash that imports Streamlit, and the only part that caches."""

from cpdash.ui.components import (
    area_names,
    csv_download,
    csv_file,
    data_banners,
    drill_down_button,
    empty_state,
    follow_drill_down,
    kpi,
    page_header,
    recorded,
    row_record,
)
from cpdash.ui.context import PageContext, keep, on_a_phone, page_context
from cpdash.ui.data import (
    get_concern_table,
    get_dataset,
    get_figure,
    get_map_shapes,
    get_overview,
    get_public_period,
    get_refusal,
    get_settings,
    get_signature,
    get_source,
    get_town_hall,
    get_town_hall_section,
)
from cpdash.ui.data_you_said import get_you_said, get_you_said_group, get_you_said_resolved
from cpdash.ui.exporter import get_chromium
from cpdash.ui.filters import sidebar_filters
from cpdash.ui.quotes import approved_quotes, quotes_section
from cpdash.ui.scoring import sentiment_status
from cpdash.ui.style import install as install_style

__all__ = [
    "PageContext",
    "approved_quotes",
    "area_names",
    "csv_download",
    "csv_file",
    "current_filters",
    "get_chromium",
    "get_concern_table",
    "data_banners",
    "drill_down_button",
    "empty_state",
    "follow_drill_down",
    "get_dataset",
    "get_figure",
    "get_map_shapes",
    "get_overview",
    "get_public_period",
    "get_refusal",
    "get_settings",
    "get_signature",
    "get_source",
    "get_town_hall",
    "get_town_hall_section",
    "get_you_said",
    "get_you_said_group",
    "get_you_said_resolved",
    "install_style",
    "keep",
    "on_a_phone",
    "kpi",
    "page_context",
    "page_header",
    "quotes_section",
    "recorded",
    "row_record",
    "sentiment_status",
    "sidebar_filters",
]


def current_filters():
    """The filters of this run (pages that take the whole context use page_context())."""
    return page_context().filters
