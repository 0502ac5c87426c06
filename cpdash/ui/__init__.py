"""Streamlit glue: cached loading, the shared sidebar filters and components. The only part that caches."""

from cpdash.ui.components import (
    area_names,
    csv_download,
    data_banners,
    drill_down_button,
    empty_state,
    follow_drill_down,
    kpi,
    page_header,
)
from cpdash.ui.data import get_data_bounds, get_dataset, get_map_shapes, get_overview, get_settings
from cpdash.ui.filters import current_filters, sidebar_filters

__all__ = [
    "area_names",
    "csv_download",
    "current_filters",
    "data_banners",
    "drill_down_button",
    "empty_state",
    "follow_drill_down",
    "get_data_bounds",
    "get_dataset",
    "get_map_shapes",
    "get_overview",
    "get_settings",
    "kpi",
    "page_header",
    "sidebar_filters",
]
