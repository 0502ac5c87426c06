"""Transforms an import applies on the way in, each one visible and saved with the mapping.

Dates in a chosen format (times without a zone are kept as local times), answer scales rescaled to 0–10
with the rule written down, programs from titles by editable rules, area ids normalised, columns made
(constants, patterns, joined columns, built ids), and wide score tables turned into the long `area_scores`
form. This module gathers their names; each family lives in its own module.
"""

from __future__ import annotations

from cpdash.importing.areas import AREA_WORDS, MAX_WORD_AREAS, areas_from_text, normalise_area_ids
from cpdash.importing.conflicts import duplicate_of
from cpdash.importing.dates import (
    AUTO,
    DATE_CHOICES,
    TIME_FORMATS,
    date_formats_used,
    mixed_date_message,
    parse_date_column,
    parse_times,
    suggest_date_format,
)
from cpdash.importing.derive import Derived, build_ids, from_pattern, from_template
from cpdash.importing.rules import (
    ProgramRule,
    default_program_rules,
    other_titles,
    programs_from_titles,
    rule_words,
    rules_from_rows,
    word_forms,
)
from cpdash.importing.scales import (
    AGREE_ANSWERS,
    NO_ANSWER,
    SCALES,
    VALUE_SCALES,
    rescale,
    rescale_values,
    suggest_scale,
)
from cpdash.importing.wide import (
    COUNT_WORDS,
    GROUP_PREFIXES,
    LEVEL_WORDS,
    METRIC_WORDS,
    SPECIFIC_FIRST,
    WideSpec,
    level_choices,
    metric_choices,
    read_value_column,
    suggest_wide,
    wide_to_long,
)

__all__ = [
    "AGREE_ANSWERS",
    "AREA_WORDS",
    "AUTO",
    "COUNT_WORDS",
    "DATE_CHOICES",
    "GROUP_PREFIXES",
    "LEVEL_WORDS",
    "MAX_WORD_AREAS",
    "METRIC_WORDS",
    "NO_ANSWER",
    "SCALES",
    "SPECIFIC_FIRST",
    "TIME_FORMATS",
    "VALUE_SCALES",
    "Derived",
    "ProgramRule",
    "WideSpec",
    "areas_from_text",
    "build_ids",
    "date_formats_used",
    "default_program_rules",
    "duplicate_of",
    "from_pattern",
    "from_template",
    "level_choices",
    "metric_choices",
    "mixed_date_message",
    "normalise_area_ids",
    "other_titles",
    "parse_date_column",
    "parse_times",
    "programs_from_titles",
    "read_value_column",
    "rescale",
    "rescale_values",
    "rule_words",
    "rules_from_rows",
    "suggest_date_format",
    "suggest_scale",
    "suggest_wide",
    "wide_to_long",
    "word_forms",
]
