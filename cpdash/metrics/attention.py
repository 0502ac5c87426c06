"""Which areas need attention: falling trust, a growing backlog of open concerns, no engagement; and
their rank.

Each flag is computed from the one definition of its figure (scores, follow-through, engagement) over the
period and the period it is compared with, and size matters:
- trust must fall by at least TRUST_DROP points, on at least k answers in both periods, and by more than
  the two 95 % intervals allow (a drop within the noise is not flagged); severity: the drop / TRUST_DROP;
- open concerns must grow by at least OPEN_MIN_INCREASE and by at least OPEN_MIN_GROWTH of the area's own
  earlier backlog, counted as at least OPEN_BASE_FLOOR (6 from 2 is not a backlog); severity: the growth
  on that base / OPEN_MIN_GROWTH;
- an area with no event is 1.0, or 1.5 with none in the compared period either.
An area's rank score adds its issues' severities: several issues, or one far past its threshold, come first.

In the public view an issue that rests on the compared period (falling trust, a growing backlog, "nor in
the compared period") is left out for an area the public view would not show alone over it, or over the
period (cpdash.metrics.selection.compared_shown): its words and its severity would give the earlier figure
away.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cpdash.metrics import areas as area_scope
from cpdash.metrics import engagement, scores
from cpdash.metrics.gather import AREA, Source
from cpdash.metrics.periods import PREVIOUS, Filters, period_text
from cpdash.metrics.selection import compared_shown_alone
from cpdash.metrics.suppression import Policy

TRUST_DROP = 5.0  # score points between the two periods
Z95 = 1.96  # a drop must exceed 1.96 standard errors of the difference
OPEN_MIN_INCREASE = 5  # open concerns must grow by at least this many ...
OPEN_MIN_GROWTH = 0.5  # ... and by at least this fraction of the earlier backlog ...
OPEN_BASE_FLOOR = 10  # ... counted as at least this many (4 from 0 is not a backlog)
NO_EVENT_SEVERITY = 1.0
NO_EVENT_EITHER_SEVERITY = 1.5
FALLING_TRUST = "falling trust"
OPEN_CONCERNS = "growing open concerns"
NO_ENGAGEMENT = "no engagement"
PAGE_FOR_ISSUE = {
    FALLING_TRUST: "community_voice",
    OPEN_CONCERNS: "you_said_we_did",
    NO_ENGAGEMENT: "participation",
}
COLUMNS = ("area_id", "name", "issue", "detail", "page", "severity")


def _falling_trust(src: Source, f: Filters, before: Filters, k: int) -> list[dict]:
    """Areas whose trust fell by at least TRUST_DROP points, with at least k answers in both periods."""
    if not src.has("trust"):
        return []
    now = scores.scores_by(src, "trust", f, (AREA,))
    then = scores.scores_by(src, "trust", before, (AREA,))
    drop = then["score"].to_numpy() - now["score"].to_numpy()  # the same dense areas, in the same order
    noise = Z95 * np.hypot(_standard_error(now), _standard_error(then))
    with np.errstate(invalid="ignore"):
        keep = (now["n"].to_numpy() >= k) & (then["n"].to_numpy() >= k) & (drop >= TRUST_DROP - 1e-9)
        keep &= ~(drop <= noise)
    out = []
    for i in np.flatnonzero(keep):
        score_now, score_then = round(now["score"].iat[i]), round(then["score"].iat[i])
        out.append(
            {
                AREA: str(now[AREA].iat[i]),
                "issue": FALLING_TRUST,
                "detail": f"Trust {score_now} (n={int(now['n'].iat[i]):,}), down {score_then - score_now} points "
                f"on the compared period ({score_then}, n={int(then['n'].iat[i]):,})",
                "severity": float(drop[i]) / TRUST_DROP,
            }
        )
    return out


def _standard_error(frame: pd.DataFrame) -> np.ndarray:
    """The standard error of each score, from its 95 % interval (NaN where there is none)."""
    half = (frame["high"].to_numpy(dtype="float64") - frame["low"].to_numpy(dtype="float64")) / 2
    with np.errstate(invalid="ignore"):
        return half / Z95


def _growing_concerns(src: Source, f: Filters, before: Filters, population: dict[str, float]) -> list[dict]:
    """Areas whose concerns open at the end of the period grew markedly against their own earlier backlog
    (counted as at least OPEN_BASE_FLOOR), with the backlog per 10,000 residents when populations are known."""
    if not src.has("concerns"):
        return []
    now = src.concerns(f, (AREA,))
    then = src.concerns(before, (AREA,))  # the same dense areas, in the same order
    grew = now["open_at_end"] - then["open_at_end"]
    growth = grew / np.maximum(then["open_at_end"], OPEN_BASE_FLOOR)
    keep = (grew >= OPEN_MIN_INCREASE) & (growth >= OPEN_MIN_GROWTH - 1e-9)
    out = []
    for i in np.flatnonzero(keep):
        area = str(now.keys[AREA].iat[i])
        count, earlier = int(now["open_at_end"][i]), int(then["open_at_end"][i])
        people = population.get(area, np.nan)
        rate = f" ({count / people * 10_000:.1f} per 10,000 residents)" if people > 0 else ""
        out.append(
            {
                AREA: area,
                "issue": OPEN_CONCERNS,
                "detail": f"{count:,} open {'concern' if count == 1 else 'concerns'}{rate}, up from {earlier:,}",
                "severity": float(growth[i]) / OPEN_MIN_GROWTH,
            }
        )
    return out


def _no_engagement(now: pd.DataFrame, then: pd.DataFrame, f: Filters) -> list[dict]:
    """Areas in scope with no event (of the chosen programs) in the period (`now` and `then`: engagement by
    area in the period and in the compared one: the same areas in the same order)."""
    what = "No event" if not f.programs else "No event of the chosen programs"
    detail = f"{what} between {period_text(f.start, f.end).replace(' – ', ' and ')}"
    none = (now["events"] == 0).to_numpy()
    out = []
    for area_id, earlier in zip(now[AREA][none], then["events"][none], strict=True):
        either = earlier == 0
        out.append(
            {
                AREA: str(area_id),
                "issue": NO_ENGAGEMENT,
                "detail": detail + (", nor in the compared period" if either else ""),
                "severity": NO_EVENT_EITHER_SEVERITY if either else NO_EVENT_SEVERITY,
            }
        )
    return out


def _without_hidden_changes(found: list[dict], src: Source, f: Filters, before: Filters, policy: Policy):
    """The issues less what rests on a compared figure the public view would not show (see the module
    docstring)."""
    areas = list(dict.fromkeys(row[AREA] for row in found))
    both = compared_shown_alone(src, f, policy, areas) & compared_shown_alone(src, before, policy, areas)
    shown = dict(zip(areas, both, strict=True))
    out = []
    for row in found:
        if shown[row[AREA]]:
            out.append(row)
        elif row["issue"] == NO_ENGAGEMENT:  # no event now: said without the compared period
            out.append(
                {
                    **row,
                    "detail": row["detail"].removesuffix(", nor in the compared period"),
                    "severity": NO_EVENT_SEVERITY,
                }
            )
    return out


def attention_rows(
    src: Source,
    f: Filters,
    k: int,
    compare: str = PREVIOUS,
    by_area: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    policy: Policy | None = None,
) -> list[dict]:
    """Areas with falling trust, growing open concerns or no engagement, most urgent first, as records with
    the keys COLUMNS (`by_area`: engagement.by_area of the period and of the compared one, when already made;
    `policy`: the public view's, to leave out changes it would not show)."""
    before = f.compared(compare)
    now, then = by_area or (engagement.by_area(src, f), engagement.by_area(src, before))
    population = dict(zip(now[AREA].astype("str"), now["population"].astype("float64"), strict=True))
    found = [
        *_falling_trust(src, f, before, k),
        *_growing_concerns(src, f, before, population),
        *_no_engagement(now, then, f),
    ]
    if f.areas:
        found = [row for row in found if row[AREA] in f.areas]
    if policy is not None and policy.public:
        found = _without_hidden_changes(found, src, f, before, policy)
    if not found:
        return []
    names = area_scope.names(src)
    rows = [
        {
            AREA: row[AREA],
            "name": names.get(row[AREA], row[AREA]),
            "issue": row["issue"],
            "detail": row["detail"],
            "page": PAGE_FOR_ISSUE[row["issue"]],
            "severity": row["severity"],
        }
        for row in found
    ]
    return sorted(rows, key=lambda row: (-row["severity"], row["name"], row["issue"]))


def needs_attention(src: Source, f: Filters, k: int, policy: Policy | None = None) -> pd.DataFrame:
    """attention_rows against the previous period, as a frame: area_id, name, issue, detail, page, severity."""
    rows = attention_rows(src, f, k, PREVIOUS, None, policy)
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "severity" else "str") for c in COLUMNS})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def ranked_rows(rows: list[dict]) -> list[dict]:
    """One record per area of attention_rows (most urgent first), highest rank score (its issues' severities
    added up) first: area_id, name, score, issues (the area's rows, most severe first)."""
    issues: dict[str, list[dict]] = {}
    for row in rows:
        issues.setdefault(row[AREA], []).append(row)
    areas = [
        {
            AREA: area,
            "name": mine[0]["name"],
            "score": sum(r["severity"] for r in mine),
            "issues": tuple(mine),
        }
        for area, mine in issues.items()
    ]
    return sorted(areas, key=lambda area: (-area["score"], area["name"]))


def ranked(frame: pd.DataFrame) -> pd.DataFrame:
    """ranked_rows of a needs_attention frame, as a frame: area_id, name, score, issues."""
    areas = ranked_rows(frame.to_dict("records"))
    return pd.DataFrame(areas, columns=[AREA, "name", "score", "issues"])
