"""The Data page's mapping widgets: a file column (or a made column) for each contract column, and the
transforms. Set from a mapping (the suggested one, or a saved one) and read back into a mapping profile, so
that what the page shows is what is imported and what is saved."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from cpdash.data.programs import Taxonomy
from cpdash.data.schema import AREA_LEVELS, SCORE_METRICS, TABLES
from cpdash.importing import dates, rules, scales, wide
from cpdash.importing.derive import Derived, DeriveError
from cpdash.importing.facts import SAMPLE_ROWS
from cpdash.importing.profiles import Profile
from cpdash.importing.upload import Upload
from cpdash.views.format import markdown_text as md

P = "data_import_"
K_PROGRAM_FROM, K_AREA_FROM, K_ID_FROM, K_AREA_LEVEL = (
    P + "program_from",
    P + "area_from",
    P + "id_from",
    P + "area_level",
)
K_SHAPE = P + "shape"
K_WIDE_START, K_WIDE_END, K_WIDE_SCALE, K_WIDE_COUNT = (
    P + "wide_start",
    P + "wide_end",
    P + "wide_scale",
    P + "wide_count",
)
K_WIDE_FORMAT = P + "wide_date_format"
K_BASIS = P + "basis"
NONE = "—"
LEVELS = ("beat", "sector", "district", "area")
HOW = ("value", "pattern", "template", "first filled")
RESET_PREFIXES = ("col_", "date_format_", "time_", "scale_", "level_", "rules_", "wide_", "made_")


def _col(name: str) -> str:
    return f"{P}col_{name}"


def _fmt(name: str) -> str:
    return f"{P}date_format_{name}"


def _time(name: str) -> str:
    return f"{P}time_{name}"


def _scale(name: str) -> str:
    return f"{P}scale_{name}"


def _level(name: str) -> str:
    return f"{P}level_{name}"


def token() -> str:
    """A key part that changes with the file, table and mapping (editable tables start afresh)."""
    return hashlib.sha1(repr(st.session_state.get(K_BASIS)).encode()).hexdigest()[:8]


def reset(profile: Profile, upload: Upload) -> None:
    """Set every mapping widget to what `profile` says (for a new file, table or mapping)."""
    state = st.session_state
    columns = set(upload.frame.columns)

    def pick(value: str | None) -> str:
        return value if value in columns else NONE

    for key in [
        k for k in state if isinstance(k, str) and k.startswith(P) and k[len(P) :].startswith(RESET_PREFIXES)
    ]:
        del state[key]
    for column in TABLES[profile.table].columns:
        state[_col(column.name)] = pick(profile.columns.get(column.name))
        state[_fmt(column.name)] = profile.date_formats.get(column.name, dates.AUTO)
        state[_time(column.name)] = pick(profile.time_columns.get(column.name))
        state[_scale(column.name)] = profile.scales.get(column.name, "0-10")
    state[K_PROGRAM_FROM] = pick(profile.program_from)
    state[K_AREA_FROM] = pick(profile.area_from)
    state[K_AREA_LEVEL] = profile.area_level or NONE
    state[K_ID_FROM] = [c for c in profile.id_from if c in columns]
    state[K_SHAPE] = "wide" if profile.wide is not None else "long"
    spec = profile.wide or wide.suggest_wide(upload.frame.head(SAMPLE_ROWS))
    state[K_WIDE_START] = pick(spec.period_start)
    state[K_WIDE_END] = pick(spec.period_end)
    state[K_WIDE_SCALE] = spec.value_scale
    state[K_WIDE_COUNT] = pick(spec.count)
    state[K_WIDE_FORMAT] = spec.date_format
    for level in LEVELS:
        state[_level(level)] = pick(spec.levels.get(level))


def mapping_widgets(
    upload: Upload, table: str, base: Profile, taxonomy: Taxonomy, levels: tuple[str, ...]
) -> Profile:
    """The mapping as the widgets say: a contract column per source column, the made columns, the transforms."""
    sources = [NONE, *upload.frame.columns]
    profile = Profile(
        name=base.name,
        table=table,
        sheet=upload.sheet,
        program_rules=base.program_rules,
        dissolve_by=base.dissolve_by,
    )
    if table == "area_scores":
        shape = st.radio(
            "Shape of the file",
            ["long", "wide"],
            key=K_SHAPE,
            horizontal=True,
            format_func={
                "long": "one row per figure (metric and value columns)",
                "wide": "one column per score and breakdown (a vendor's table)",
            }.get,
        )
        if shape == "wide":
            profile.wide = _wide_widgets(upload, sources, base)
            return profile
    spec = TABLES[table]
    st.markdown("**Columns** — the file's column for each column of the table (— for none)")
    grid = st.columns(4)
    for i, column in enumerate(spec.columns):
        choice = grid[i % 4].selectbox(
            column.name + (" *" if column.required else ""),
            sources,
            key=_col(column.name),
            help=column.description,
        )
        if choice != NONE:
            profile.columns[column.name] = choice
    profile.derived = _made_columns(upload, table, base)
    st.markdown("**Transforms**")
    left, right = st.columns(2)
    _dates_and_scales(profile, spec, sources, left, right)
    if "area_id" in spec.names:
        area_from = right.selectbox(
            "Area from the place named in",
            sources,
            key=K_AREA_FROM,
            help="For rows whose area column is blank (or a file without one): an area's name, or words such as "
            "'District 7', in this column give the area. Rows naming no area are rejected with their reason.",
        )
        profile.area_from = None if area_from == NONE else area_from
        if table != "areas" and levels:
            level = right.selectbox(
                "Area ids are those of the stored",
                [NONE, *levels],
                key=K_AREA_LEVEL,
                help="Match the area ids among the stored areas of one level only (sector 11 is not district 11).",
            )
            profile.area_level = None if level == NONE else level
    if spec.key and spec.key not in profile.columns:
        profile.id_from = right.multiselect(
            f"Build {spec.key} from",
            list(upload.frame.columns),
            key=K_ID_FROM,
            help="The file has no id column: rows with the same values in these columns get the same id, "
            "and repeated rows are removed and counted.",
        )
    if table == "events":
        _program_widgets(profile, base, taxonomy, sources, left)
    return profile


def _dates_and_scales(profile: Profile, spec, sources: list[str], left, right) -> None:
    for column in spec.columns:
        if column.kind in ("date", "datetime") and column.name in profile.columns:
            profile.date_formats[column.name] = left.selectbox(
                f"Dates in '{profile.columns[column.name]}'",
                list(dates.DATE_CHOICES),
                key=_fmt(column.name),
                format_func=dates.DATE_CHOICES.get,
                help="Times without a time zone are kept as the local times they are.",
            )
            if column.kind == "datetime":
                time_source = right.selectbox(
                    f"Time of day for {column.name} (when the date has none)", sources, key=_time(column.name)
                )
                if time_source != NONE:
                    profile.time_columns[column.name] = time_source
        if spec.name == "responses" and column.name in SCORE_METRICS and column.name in profile.columns:
            profile.scales[column.name] = left.selectbox(
                f"Answers in '{profile.columns[column.name]}' are on",
                list(scales.SCALES),
                key=_scale(column.name),
                format_func=scales.SCALES.get,
                help="Answers are stored on 0 to 10; the rule is recorded with the import.",
            )


def _made_rows(profile: Profile) -> pd.DataFrame:
    rows = []
    for column, made in profile.derived.items():
        if made.value is not None:
            rows.append((column, "value", None, made.value, made.level))
        elif made.pattern is not None:
            rows.append((column, "pattern", made.source, made.pattern, made.level))
        elif made.template is not None:
            rows.append((column, "template", None, made.template, made.level))
        else:
            text = "; ".join(f"{label}={c}" for label, c in made.first_filled)
            rows.append((column, "first filled", made.take, text, made.otherwise))
    return pd.DataFrame(rows, columns=["column", "how", "from", "text", "level"], dtype="object")


def _made_columns(upload: Upload, table: str, base: Profile) -> dict[str, Derived]:
    """Columns made rather than read: a constant, a pattern on another column, a template joining columns."""
    st.markdown(
        "**Made columns** — a value for every row (`district`), a pattern that finds a value in another column "
        "(the beat in '2514 Beat Meeting'), or a template joining columns (`{district}{sector}`). Where a column "
        "above is also chosen, its cells win and the made value fills its blanks."
    )
    edited = st.data_editor(
        _made_rows(base),
        key=f"{P}made_{token()}",
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "column": st.column_config.SelectboxColumn(
                "Column", options=list(TABLES[table].names), required=True
            ),
            "how": st.column_config.SelectboxColumn("Made as", options=list(HOW), required=True),
            "from": st.column_config.SelectboxColumn(
                "From (pattern)", options=[str(c) for c in upload.frame.columns]
            ),
            "text": st.column_config.TextColumn("Value, pattern or template", required=True),
            "level": st.column_config.TextColumn("Matched among the stored (level)"),
        },
    )
    made: dict[str, Derived] = {}
    for number, record in enumerate(edited.to_dict("records"), start=1):
        column, how, text = record.get("column"), record.get("how"), record.get("text")
        if not column or not how or not isinstance(text, str) or not text.strip():
            continue
        level = record.get("level") if record.get("level") in AREA_LEVELS else None
        data: dict = {"value": text} if how == "value" else {"template": text}
        if how == "pattern":
            data = {"from": record.get("from"), "pattern": text}
        elif how == "first filled":
            pairs = [part.split("=", 1) for part in text.split(";") if "=" in part]
            data = {
                "first_filled": [[a.strip(), b.strip()] for a, b in pairs],
                "take": record.get("from") or "label",
            }
            if isinstance(record.get("level"), str) and record["level"].strip():
                data["otherwise"] = record["level"].strip()
            level = None
        if level:
            data["level"] = level
        try:
            made[str(column)] = Derived.from_dict(data, f"made column {number} ({column})")
        except DeriveError as exc:
            st.error(md(str(exc)), icon="🧩")
    return made


def _program_widgets(profile: Profile, base: Profile, taxonomy: Taxonomy, sources: list[str], left) -> None:
    program_from = left.selectbox(
        "Program from the words in",
        sources,
        key=K_PROGRAM_FROM,
        help="Titles such as '2514 Beat Meeting' or 'Coffee With The Commander' give the program by the title rules "
        "(the first that matches wins; word forms and order do not matter); titles no rule matches count as Other.",
    )
    profile.program_from = None if program_from == NONE else program_from
    if not profile.program_from:
        return
    st.caption(
        f"This mapping's own title rules for '{md(profile.program_from)}', tried before the department's "
        f"{taxonomy.own_rules:,} and the {len(taxonomy.rules) - taxonomy.own_rules:,} built-in ones (see the list "
        "under the report). Add, change or delete rows; they are saved with the mapping."
    )
    own = pd.DataFrame(
        [(r.words, r.program) for r in base.program_rules], columns=["words", "program"], dtype="object"
    )
    edited = st.data_editor(
        own,
        key=f"{P}rules_{token()}",
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "words": st.column_config.TextColumn("Title holds the words", required=True),
            "program": st.column_config.SelectboxColumn(
                "Program", options=list(taxonomy.names), required=True
            ),
        },
    )
    profile.program_rules = rules.rules_from_rows(edited, taxonomy.names)


def _wide_widgets(upload: Upload, sources: list[str], base: Profile) -> wide.WideSpec:
    """The reading of a wide score table as the widgets say."""
    suggested = base.wide or wide.suggest_wide(upload.frame.head(SAMPLE_ROWS))
    spec = wide.WideSpec(levels={})
    row = st.columns(4)
    start = row[0].selectbox("Period start", sources, key=K_WIDE_START)
    end = row[1].selectbox("Period end", sources, key=K_WIDE_END, help="— : each period ends with its month.")
    spec.period_start = None if start == NONE else start
    spec.period_end = None if end == NONE else end
    spec.date_format = row[2].selectbox(
        "Dates", list(dates.DATE_CHOICES), key=K_WIDE_FORMAT, format_func=dates.DATE_CHOICES.get
    )
    spec.value_scale = row[3].selectbox(
        "Scores are on", list(scales.VALUE_SCALES), key=K_WIDE_SCALE, format_func=scales.VALUE_SCALES.get
    )
    st.markdown(
        "**Area columns** — a row's level is the most specific one filled in; a row with all of them blank "
        "is a figure for the whole city. Each is matched among the stored areas of its level."
    )
    row = st.columns(5)
    for i, level in enumerate(LEVELS):
        chosen = row[i].selectbox(level.capitalize(), sources, key=_level(level))
        if chosen != NONE:
            spec.levels[level] = chosen
    if "city" in suggested.levels:
        spec.levels["city"] = suggested.levels["city"]
    count = row[4].selectbox("Responses (n)", sources, key=K_WIDE_COUNT)
    spec.count = None if count == NONE else count
    st.markdown(
        "**Score columns** — what each column holds (leave the metric blank for columns that are not scores)"
    )
    table = pd.DataFrame(
        [
            {
                "column": c,
                "metric": suggested.values.get(c, ("", ""))[0] or None,
                "group": suggested.values.get(c, ("", ""))[1],
            }
            for c in upload.frame.columns
            if c not in (spec.period_start, spec.period_end, spec.count, *spec.levels.values())
        ]
    )
    edited = st.data_editor(
        table,
        key=f"{P}wide_values_{token()}",
        hide_index=True,
        disabled=["column"],
        column_config={
            "column": st.column_config.TextColumn("Column"),
            "metric": st.column_config.SelectboxColumn("Metric", options=list(SCORE_METRICS)),
            "group": st.column_config.TextColumn("Breakdown (e.g. 'age: 18-34'; blank for everyone)"),
        },
    )
    for record in edited.to_dict("records"):
        if record.get("metric") in SCORE_METRICS:
            spec.values[str(record["column"])] = (
                str(record["metric"]),
                str(record.get("group") or "").strip(),
            )
    spec.counts = {c: n for c, n in suggested.counts.items() if c in spec.values}
    return spec
