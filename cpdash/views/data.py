"""The Data page's view: the validation report (per-table summary, reasons, rejected rows) for the staff or
the public audience, and the data dictionary."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cpdash.data.dataset import LoadReport
from cpdash.data.schema import TABLES, data_dictionary

STATUS_TEXT = {"loaded": "loaded", "absent": "not provided", "failed": "could not be used"}


def summary(report: LoadReport) -> pd.DataFrame:
    """One row per contract table: file, status, rows read, accepted, rejected, warnings."""
    rows = []
    for name, table in TABLES.items():
        t = report.tables.get(name)
        rows.append(
            {
                "table": name,
                "required": "required" if table.required else "optional",
                "file": (t.file if t else None) or "—",
                "status": STATUS_TEXT.get(t.status if t else "absent", "not provided"),
                "rows read": t.rows_read if t else 0,
                "accepted": t.rows_accepted if t else 0,
                "rejected": t.rows_rejected if t else 0,
                "warnings": len(t.warnings) if t else 0,
            }
        )
    return pd.DataFrame(rows)


def reasons(report: LoadReport, table: str) -> pd.DataFrame:
    """How many rows of `table` were rejected for each kind of reason (the reason up to its colon)."""
    t = report.tables.get(table)
    if t is None or t.rejected.empty:
        return pd.DataFrame({"reason": pd.Series(dtype="str"), "rows": pd.Series(dtype="int64")})
    kind = t.rejected["reason"].astype("str").str.split(":", n=1).str[0].str.replace(r" '.*$", "", regex=True)
    counts = kind.value_counts()
    return pd.DataFrame({"reason": counts.index.astype("str"), "rows": counts.to_numpy()})


def dictionary(table: str | None = None) -> pd.DataFrame:
    """The data dictionary, one row per column of the contract (of one table, when given)."""
    frame = pd.DataFrame(data_dictionary())
    return frame if not table else frame[frame["table"] == table].reset_index(drop=True)


def source_label(source: str, public: bool) -> str:
    """How the Data page names the source: a database URL with its secrets hidden (as the loader gives it);
    for the public, a folder by its name only and a database by its name only (no server path or host)."""
    if "://" in source:
        if not public:
            return source
        name = source.rsplit("/", 1)[-1].split("?", 1)[0]
        return f"database {name}" if name else "a database"
    return (Path(source).name or source) if public else source


def shown(texts: list[str], source: str, public: bool) -> list[str]:
    """Report texts as the audience may read them: for the public, the source's folder path becomes its name."""
    if not public or "://" in source:
        return list(texts)
    folder = Path(source)
    paths = sorted({str(folder), str(folder.resolve()), source}, key=len, reverse=True)
    out = []
    for text in texts:
        for path in paths:
            text = text.replace(path, folder.name or "the data folder")
        out.append(text)
    return out


@dataclass(frozen=True)
class Rejected:
    """One table's rejected rows as the audience may see them (the rows themselves only for staff)."""

    table: str
    heading: str  # "**events**: 12 of 4,200 rows rejected (events.csv)" (Markdown, file name escaped)
    reasons: pd.DataFrame
    rows: pd.DataFrame | None  # None in the public view: rejected rows keep residents' original text
    download_label: str


REPORT_TAB, IMPORT_TAB, LOG_TAB, DICTIONARY_TAB, QUOTES_TAB, AUDIT_TAB = (
    "Validation report",
    "Import a file",
    "Import log",
    "Data dictionary",
    "Quotes for town halls",
    "Audit log",
)
PUBLIC_DOWNLOADS = (
    "**Downloads.** The tables behind the figures, by area, month, program or topic and with small numbers "
    "hidden as on screen, are under each chart: *Table … (CSV)* on the Overview, Map, Participation, "
    "Community voice and You said, we did pages, and the town hall's pack on the Town hall page. Row-level "
    "data (responses, attendees, comments) is not published."
)


@dataclass(frozen=True)
class Report:
    """The Data page's validation report tab."""

    source: str
    summary: pd.DataFrame
    errors: list[str]
    warnings: list[str]
    rejected: list[Rejected]
    load_time: str
    tables: tuple[str, ...] = tuple(TABLES)
    tabs: tuple[str, ...] = (REPORT_TAB, IMPORT_TAB, LOG_TAB, DICTIONARY_TAB)
    downloads_note: str | None = None  # the public view: where its aggregate downloads are


def report_view(report: LoadReport, public: bool, is_sample: bool, escape, rows: bool = False) -> Report:
    """What the Data page shows of a load: source, summary, errors, warnings and rejected rows."""
    rejected = []
    for name, t in report.tables.items():
        if not t.rows_rejected:
            continue
        rejected.append(
            Rejected(
                name,
                f"**{name}**: {t.rows_rejected:,} of {t.rows_read:,} rows rejected ({escape(t.file)})",
                reasons(report, name),
                None if public else t.rejected.head(500),
                f"Download the {t.rows_rejected:,} rejected {name} rows (CSV)",
            )
        )
    seconds = ", ".join(f"{step} {sec:.2f} s" for step, sec in report.seconds.items())
    return Report(
        f"Source: {escape(source_label(report.source, public))}"
        + (" (synthetic sample city)" if is_sample else ""),
        summary(report),
        shown(report.errors, report.source, public),
        shown(report.warnings, report.source, public),
        rejected,
        f"Load time: {seconds}" if seconds else "",
        tabs=(REPORT_TAB, DICTIONARY_TAB)
        if public
        else (REPORT_TAB, IMPORT_TAB, LOG_TAB, DICTIONARY_TAB, QUOTES_TAB) + ((AUDIT_TAB,) if rows else ()),
        downloads_note=PUBLIC_DOWNLOADS if public else None,
    )


def rejected_rows(report: LoadReport, table: str) -> pd.DataFrame:
    """Every rejected row of `table` with its reason (staff downloads only)."""
    return report.tables[table].rejected
