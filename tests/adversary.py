"""An adversary against the public view: it reads every figure the walk collected (cards, tables, downloads,
chart traces), notes which set of responses each shown figure rests on (the URL's areas, and the row's
area, group or month), and asks by linear algebra which other sets of responses those figures pin down.

A shown figure gives its set's count and sum (a score is a mean, a net sentiment a difference of shares:
with the n, both are sums over the set). If a set's indicator lies in the span of the shown figures'
indicators, its sum and count follow exactly by adding and subtracting shown figures (the city minus the
other areas, everyone minus the other groups, two links that differ by one area), so that set must not rest
on fewer than k responses. Values are taken as exact (charts carry them unrounded).

Two measures are checked, each on its own atoms: answers (the scores; in tests/small_groups.py every
respondent gives the same answer to the four questions) and scored comments (net sentiment).

Periods: a figure rests on the days of the period its page says it shows (the caption under the title, or
the town hall's), so two links whose periods differ by a day or a month are set against each other like two
links that differ by an area; the sets sought run over any run of whole months.

`leaks` finds the direct leaks (a hidden figure's canary value, or an n under k, shown anywhere), and
`view_figures` reads the figures of one view of the app; the disclosure and public-view tests and the
probes (scripts/probes.py) share them.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from tests import small_groups
from tests.walk import Output, collect, open_app

ANSWERS, COMMENTS = "answers", "scored comments"
ALL = None  # no restriction
DIMENSIONS = {"Age group": "age_group", "Gender": "gender", "Race / ethnicity": "race_ethnicity"}
NOT_STATED = ("not stated", "not given", "unknown", "(not stated)", "no answer")
SCORE_LABEL = re.compile(r"^(Trust|Safety|Listen|Respect)(?: score)?\b", re.I)
SENTIMENT_LABEL = re.compile(r"^(Net )?sentiment\b", re.I)
MONTH = re.compile(r"^(\d{4})-(\d{2})")
CITY_NAMES = ("city", "all areas", "everyone")
COMPARED = re.compile(r"Compared period \((\d{1,2} \w{3} \d{4}) – (\d{1,2} \w{3} \d{4})\)")
PERIOD = re.compile(r"^(\d{1,2} \w{3} \d{4}) – (\d{1,2} \w{3} \d{4})(?: ·|$)")
N_TEXT = re.compile(
    r"\bn\s*=\s*(\d[\d,]*)|\b(\d[\d,]*)\s+(?:responses|answers|scored comments|participants)\b"
)
N_COLUMN = re.compile(
    r"(^n$| n$|\(n\)|^responses$|^answers$|scored comments|^participants$|^comments$)", re.I
)
CANARY = re.compile("|".join(f"(?:{c})" for c in small_groups.CANARIES))
SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)  # a pack's code and styles, not its figures


@dataclass(frozen=True)
class Figure:
    """One shown figure: its measure, and the set of responses it rests on (None: not restricted)."""

    measure: str
    areas: frozenset[str] | None
    month: str | None = None  # "2025-03"
    group: tuple[str, str] | None = None  # (column, value); value "" = not stated
    where: str = ""
    period: tuple[str, str] | None = None  # the days it rests on, ISO, both included (None: all)


def atoms() -> pd.DataFrame:
    """One row per response of the small-groups data set: its area, month, groups and whether its comment
    is scored."""
    frame = pd.DataFrame(small_groups.responses())
    frame["month"] = frame["submitted"].str[:7]
    frame["day"] = frame["submitted"].str[:10]
    frame["commented"] = frame["comment"].fillna("").str.len() > 0
    return frame.fillna("")


def _decode(values: object) -> list:
    """A plotly array: a list, or a typed array {"dtype", "bdata"}."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])).tolist()
    return list(values) if isinstance(values, list) else []


def _shown(value: object) -> bool:
    """True when a cell holds a figure (not blank, not a dash, not NaN)."""
    if value is None:
        return False
    if isinstance(value, float):
        return not np.isnan(value)
    text = str(value).strip()
    return text not in ("", "—", "-", "nan", "None", "<NA>")


class Reader:
    """Turns the walk's outputs into Figures, knowing the data set's names."""

    def __init__(self) -> None:
        self.area_ids = {name: area for area, name in small_groups.AREAS.items()}

    def _area(self, label: object) -> str | None:
        """The area a label names ('Birch', 'Birch (n=51)'), or None."""
        return self.area_ids.get(re.sub(r"\s*\(n=[\d,]+\)$", "", str(label).strip()))

    def _within(self, selection: frozenset[str] | None, area: str) -> frozenset[str]:
        return frozenset({area}) if selection is None or area in selection else frozenset()

    def figures(
        self, outputs: Iterable[Output], selection: frozenset[str] | None, picked: str | None = None
    ) -> list[Figure]:
        """Every figure resting on answers or scored comments among `outputs` of one URL state (`picked`: an
        area chosen on the page to set against the city)."""
        found: list[Figure] = []
        for o in outputs:
            if o.kind == "metric":
                found += self._card(o, selection)
            elif o.kind in ("table", "download") and picked and "Area n" in o.text.split("\n", 1)[0]:
                found += self._against(o, selection, picked)
            elif o.kind in ("table", "download"):
                found += self._table(o, selection)
            elif o.kind == "chart":
                found += self._chart(o, selection)
        period = period_shown(outputs)
        return [f if f.period else replace(f, period=period) for f in found if f.areas is None or f.areas]

    def _card(self, o: Output, selection: frozenset[str] | None) -> list[Figure]:
        """A card's figure, and the compared period's when the card gives it (its value in the help, or a
        change beside the figure: the figure minus the change)."""
        label, value, delta, help_text = (o.text.split(" | ") + ["", "", "", ""])[:4]
        measure = ANSWERS if SCORE_LABEL.match(label) else COMMENTS if SENTIMENT_LABEL.match(label) else None
        if measure is None:
            return []
        found = [Figure(measure, selection, where=o.where)] if _shown(value) else []
        compared = COMPARED.search(help_text)
        if compared and (found and delta.strip() or measure == ANSWERS):
            days = [dt.datetime.strptime(d, "%d %b %Y").date().isoformat() for d in compared.groups()]
            found.append(Figure(measure, selection, where=o.where, period=(days[0], days[1])))
        return found

    def _against(self, o: Output, selection: frozenset[str] | None, picked: str) -> list[Figure]:
        """An area against the city: each score of the area and of the selection."""
        try:
            frame = pd.read_csv(io.StringIO(o.text.lstrip("\ufeff")), dtype="string")
        except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
            return []
        found = []
        for _, row in frame.iterrows():
            if _shown(row.get("Area")):
                found.append(Figure(ANSWERS, self._within(selection, picked), where=o.where))
            if _shown(row.get("City")):
                found.append(Figure(ANSWERS, selection, where=o.where))
        return found

    def _table(self, o: Output, selection: frozenset[str] | None) -> list[Figure]:
        try:
            frame = pd.read_csv(io.StringIO(o.text.lstrip("\ufeff")), dtype="string")
        except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
            return []
        columns = {str(c).strip(): c for c in frame.columns}
        measures = [
            (columns[c], ANSWERS)
            for c in columns
            if SCORE_LABEL.match(c) and not re.search(r" n$|interval|change|published", c, re.I)
        ]
        measures += [(columns[c], COMMENTS) for c in columns if re.fullmatch(r"(Net )?sentiment", c, re.I)]
        if "Score" in columns:
            measures.append((columns["Score"], ANSWERS))
        found = []
        for _, row in frame.iterrows():
            where = self._row_set(row, columns, selection)
            if where is None:
                continue
            areas, month, group = where
            for column, measure in measures:
                if _shown(row[column]):
                    found.append(Figure(measure, areas, month, group, o.where))
        return found

    def _row_set(self, row: pd.Series, columns: dict, selection: frozenset[str] | None):
        """(areas, month, group) of a table row; None when the row is about something else (a program, a
        topic) or a total."""
        if "Area" in columns:
            area = self._area(row[columns["Area"]])
            return None if area is None else (self._within(selection, area), None, None)
        if "Breakdown" in columns and "Group" in columns:
            dim = DIMENSIONS.get(str(row[columns["Breakdown"]]))
            if dim is None:
                return None
            value = str(row[columns["Group"]])
            value = "" if value.strip().lower() in NOT_STATED else value
            return (selection, None, (dim, value))
        if "By" in columns and "Group" in columns:
            by, label = str(row[columns["By"]]).lower(), str(row[columns["Group"]])
            if by == "month" and MONTH.match(label):
                return (selection, label[:7], None)
            if by == "area" and self._area(label):
                return (self._within(selection, self._area(label)), None, None)
            return None
        if "Month" in columns and MONTH.match(str(row[columns["Month"]])):
            return (selection, str(row[columns["Month"]])[:7], None)
        return None

    def _chart(self, o: Output, selection: frozenset[str] | None) -> list[Figure]:
        try:
            spec = json.loads(o.text)
        except ValueError:
            return []
        words = json.dumps(spec.get("layout", {})).lower() + json.dumps(spec.get("data", [])).lower()
        measure = COMMENTS if "sentiment" in words or "net %" in words else ANSWERS
        if not re.search(r"trust|safety|listen|respect|score|sentiment", words):
            return []
        found = []
        for trace in spec.get("data", []):
            name = str(trace.get("name") or "")
            if "interval" in name.lower() or trace.get("hoverinfo") == "skip":
                continue
            xs, ys = _decode(trace.get("x", [])), _decode(trace.get("y", []))
            horizontal = trace.get("orientation") == "h"
            labels, values = (ys, xs) if horizontal else (xs, ys)
            for label, value in zip(labels, values, strict=False):
                if not _shown(value):
                    continue
                label = str(label)
                area = self._area(label)
                if area is not None:
                    found.append(Figure(measure, self._within(selection, area), where=o.where))
                elif MONTH.match(label):
                    trace_area = self._area(name)
                    areas = selection if trace_area is None else self._within(selection, trace_area)
                    if name.strip().lower() in CITY_NAMES:
                        areas = ALL  # the city's line beside the areas chosen
                    found.append(Figure(measure, areas, label[:7], where=o.where))
        return found


def period_shown(outputs: Iterable[Output]) -> tuple[str, str] | None:
    """The period a page says its figures cover (its caption, or the town hall's 'Area · period'), ISO."""
    for o in outputs:
        if o.kind != "caption":
            continue
        text = o.text.split(" · ", 1)[1] if " · " in o.text and not PERIOD.match(o.text) else o.text
        found = PERIOD.match(text.replace("\\", ""))
        if found:
            days = [dt.datetime.strptime(d, "%d %b %Y").date().isoformat() for d in found.groups()]
            return days[0], days[1]
    return None


class Atoms:
    """The responses of one measure as arrays, to select the set a figure rests on quickly."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.columns = {
            c: frame[c].astype("str").to_numpy(dtype=object)
            for c in ("area_id", "month", "day", *DIMENSIONS.values())
        }
        self.size = len(frame)
        self.values = {c: sorted(set(v)) for c, v in self.columns.items()}

    def mask(self, f: Figure) -> np.ndarray:
        """True for each response in the set `f` rests on."""
        keep = np.ones(self.size, dtype=bool)
        if f.areas is not None:
            keep &= np.isin(self.columns["area_id"], list(f.areas))
        if f.month is not None:
            keep &= self.columns["month"] == f.month
        if f.period is not None:
            keep &= (self.columns["day"] >= f.period[0]) & (self.columns["day"] <= f.period[1])
        if f.group is not None:
            keep &= self.columns[f.group[0]] == f.group[1]
        return keep


def _candidates(atoms: Atoms) -> Iterable[tuple[str, np.ndarray]]:
    """Sets of responses an adversary would want: areas and pairs of areas, crossed with runs of whole
    months and groups."""
    areas = atoms.values["area_id"]
    months = atoms.values["month"]
    runs = [None] + [(months[i], months[j]) for i in range(len(months)) for j in range(i, len(months))]
    groups = [None] + [(d, v) for d in DIMENSIONS.values() for v in atoms.values[d]]
    area_sets = [None] + [frozenset(c) for r in (1, 2) for c in itertools.combinations(areas, r)]
    month = atoms.columns["month"]
    for a, g in itertools.product(area_sets, groups):
        base = atoms.mask(Figure("", a, None, g))
        for run in runs:
            mask = base if run is None else base & (month >= run[0]) & (month <= run[1])
            when = "all" if run is None else run[0] if run[0] == run[1] else f"{run[0]}..{run[1]}"
            yield f"areas={sorted(a) if a else 'all'} month={when} group={g or 'all'}", mask


def recovered(figures: list[Figure], k: int) -> list[str]:
    """Every set of fewer than k responses (of either measure) whose sum the figures determine exactly."""
    frame = atoms()
    found = []
    for measure, rows in ((ANSWERS, frame), (COMMENTS, frame[frame["commented"]])):
        data = Atoms(rows.reset_index(drop=True))
        shown = sorted({f for f in figures if f.measure == measure}, key=repr)
        if not shown:
            continue
        masks = np.array([data.mask(f) for f in shown], dtype="float64")
        matrix = np.unique(masks, axis=0)
        # the span of the shown sets: t lies in it when projecting t on it changes nothing
        u, s, _ = np.linalg.svd(matrix.T, full_matrices=False)
        basis = u[:, s > 1e-9 * s.max()]
        names, targets = [], []
        for name, mask in _candidates(data):
            if 0 < mask.sum() < k:
                names.append(name)
                targets.append(mask.astype("float64"))
        if not targets:
            continue
        t = np.array(targets).T
        residual = np.abs(t - basis @ (basis.T @ t)).max(axis=0)
        for name, r, target in zip(names, residual, targets, strict=True):
            if r < 1e-6:
                touching = np.flatnonzero((masks @ target) > 0)[:3]
                witness = [shown[i].where for i in touching]
                found.append(f"{measure}: {name} ({int(target.sum())} responses) from {witness}")
    return found


# --- direct leaks: a hidden figure's canary value, or an n under k, shown anywhere ---------------------


def _chart_data(text: str) -> str:
    """A chart's JSON without its template (colours and fonts, not data)."""
    try:
        spec = json.loads(text)
    except ValueError:
        return text
    spec.get("layout", {}).pop("template", None)
    return json.dumps(spec, ensure_ascii=False)


def _counts_in_csv(text: str) -> list[tuple[str, float]]:
    """(column, value) of every count column of a CSV (a table or a download)."""
    try:
        frame = pd.read_csv(io.StringIO(text))
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return []
    found = []
    for column in frame.columns:
        if N_COLUMN.search(str(column)):
            values = pd.to_numeric(frame[column].astype("string").str.replace(",", ""), errors="coerce")
            found += [(str(column), float(v)) for v in values.dropna()]
    return found


def leaks(outputs: list[Output]) -> list[str]:
    """Every place where a figure on fewer than k responses, or the n of one, shows."""
    found = []
    for o in outputs:
        text = _chart_data(o.text) if o.kind == "chart" else SCRIPT.sub(" ", o.text)
        for match in CANARY.finditer(text):
            context = text[max(0, match.start() - 80) : match.end() + 40].replace("\n", " ")
            found.append(f"{o.where} [{o.kind}] a hidden figure {match.group(0)!r}: …{context}…")
        for match in N_TEXT.finditer(text):
            n = int((match.group(1) or match.group(2)).replace(",", ""))
            if 0 < n < small_groups.K:
                context = text[max(0, match.start() - 80) : match.end() + 20].replace("\n", " ")
                found.append(f"{o.where} [{o.kind}] n under k {match.group(0)!r}: …{context}…")
        if o.kind in ("table", "download"):
            for column, n in _counts_in_csv(o.text):
                if 0 < n < small_groups.K:
                    found.append(f"{o.where} [{o.kind}] column {column!r} holds {n:g}, under k")
    return found


# --- the figures of one view of the app ----------------------------------------------------------------


def view_figures(
    downloads, page: str, state: dict, areas: list[str], picked: str | None = None, period: list | None = None
) -> list[Figure]:
    """The figures of one view: the sidebar's `areas` and `period`, and an area `picked` on the page itself
    (the Scores tab's area against the city, the town hall's area)."""
    query = {**state, **({"filter_area": areas} if areas else {})}
    if period:
        query["filter_period"] = period
        query["filter_compare"] = ["The previous period"]  # last year's is before the data
    town_hall = page.endswith("town_hall.py")
    if picked and not town_hall:
        query["voice_area"] = small_groups.AREAS[picked]
    at = open_app(page, query)
    if picked and town_hall:
        at.selectbox(key="town_hall_area").set_value(picked).run()
    assert not at.exception, [e.value for e in at.exception]
    selection = frozenset(area_ids(areas)) if areas else None
    if picked and town_hall:
        selection = frozenset({picked})
    outputs = collect(at, downloads, f"{page} {query} {picked or ''}")
    return Reader().figures(outputs, selection, picked)


def area_ids(names: list[str]) -> list[str]:
    """Area ids of area names."""
    ids = {name: area for area, name in small_groups.AREAS.items()}
    return [ids[n] for n in names]
