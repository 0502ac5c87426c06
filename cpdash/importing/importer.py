"""Importing an export into the contract: read the upload, suggest a mapping, apply it, report, commit.

The Data page and `python -m cpdash import` run the same steps:

    upload = read_upload(name, data)                        # clear ImportProblem for files that cannot be used
    context = context_from_dataset(ds, taxonomy)            # the stored areas (every level), events, programs
    suggested = suggest_mapping(upload, table, context)     # or profiles.load_profile(...)
    prepared = prepare(upload, suggested.profile, context)  # accepted rows, rejected rows with reasons
    entry = store.open_store(source).commit(prepared)       # atomic; logged

Every row read is accepted, rejected with its reason, or removed as a duplicate of an earlier row (and
listed with the rejected rows, so it is counted and shown). This module gathers the steps' public names;
each step lives in its own module (upload, suggest, propose, shape, prepare, conflicts, overlap, ...).
"""

from __future__ import annotations

from cpdash.data.geo import AreaIndex
from cpdash.importing.conflicts import DEFAULT_POLICY, POLICIES
from cpdash.importing.context import Context, context_for, context_from_dataset
from cpdash.importing.facts import ColumnFacts, column_facts
from cpdash.importing.names import SYNONYMS
from cpdash.importing.prepare import MODES, NATURAL_KEYS, prepare
from cpdash.importing.prepared import (
    DUPLICATE,
    MAX_REJECTED_DEFAULT,
    Prepared,
    blame,
    reason_counts,
    rejected_count_over,
    storage_frame,
)
from cpdash.importing.propose import Suggested, suggest_mapping, suggest_profile
from cpdash.importing.shape import ID_PREFIX
from cpdash.importing.suggest import Suggestion, suggest_columns, suggest_table
from cpdash.importing.upload import (
    GEOMETRY_LAT,
    GEOMETRY_LON,
    MAX_UPLOAD_BYTES,
    PREVIEW_ROWS,
    SAMPLE_ROWS,
    UPLOAD_TYPES,
    ImportProblem,
    Upload,
    geometry_problems,
    read_upload,
)

__all__ = [
    "DEFAULT_POLICY",
    "DUPLICATE",
    "GEOMETRY_LAT",
    "GEOMETRY_LON",
    "ID_PREFIX",
    "MAX_REJECTED_DEFAULT",
    "MAX_UPLOAD_BYTES",
    "MODES",
    "NATURAL_KEYS",
    "POLICIES",
    "PREVIEW_ROWS",
    "SAMPLE_ROWS",
    "SYNONYMS",
    "UPLOAD_TYPES",
    "AreaIndex",
    "ColumnFacts",
    "Context",
    "ImportProblem",
    "Prepared",
    "Suggested",
    "Suggestion",
    "Upload",
    "blame",
    "column_facts",
    "context_for",
    "context_from_dataset",
    "geometry_problems",
    "prepare",
    "read_upload",
    "reason_counts",
    "rejected_count_over",
    "storage_frame",
    "suggest_columns",
    "suggest_mapping",
    "suggest_profile",
    "suggest_table",
]
