"""cpdash: evidence of whether community policing is working.

The core (everything but `cpdash.ui`) is Streamlit-free: plain functions on DataFrames.
"""

from cpdash.config import Settings, settings_from_env
from cpdash.data.dataset import Dataset, LoadReport, TableReport
from cpdash.data.load import load_dataset
from cpdash.data.schema import TABLES
from cpdash.metrics.periods import Filters

__all__ = [
    "TABLES",
    "Dataset",
    "Filters",
    "LoadReport",
    "Settings",
    "TableReport",
    "load_dataset",
    "settings_from_env",
]
