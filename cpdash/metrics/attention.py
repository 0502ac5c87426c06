"""Which areas need attention: falling trust, a growing backlog of open concerns, no engagement.

Each flag is computed from the one definition of its figure (scores, follow-through, engagement) over the
period and the period it is compared with. Severity is a multiple of the flag's threshold (a trust drop of
twice TRUST_DROP is 2.0); an area with no event is 1.0, or 1.5 with none in the compared period either.
"""

from __future__ import annotations

import pandas as pd

from cpdash.metrics import areas as area_scope
from cpdash.metrics import engagement, follow_through, scores
from cpdash.metrics.gather import AREA, Source
from cpdash.metrics.periods import PREVIOUS, Filters, period_text

TRUST_DROP = 5.0  # score points between the two periods
OPEN_MIN_INCREASE = 3  # open concerns must grow by at least this many ...
OPEN_MIN_GROWTH = 0.25  # ... and by at least this fraction of the earlier count
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
    now = scores.scores_by(src, "trust", f, (AREA,)).set_index(AREA)
    then = scores.scores_by(src, "trust", before, (AREA,)).set_index(AREA)
    both = now.join(then.add_suffix("_before"))
    both = both[(both["n"] >= k) & (both["n_before"] >= k)]
    if f.areas:
        both = both[both.index.isin(f.areas)]
    out = []
    for area_id, row in both.iterrows():
        score_now, score_then = round(row["score"]), round(row["score_before"])
        drop = row["score_before"] - row["score"]
        if drop < TRUST_DROP - 1e-9:
            continue
        out.append(
            {
                AREA: str(area_id),
                "issue": FALLING_TRUST,
                "detail": f"Trust {score_now} (n={int(row['n']):,}), down {score_then - score_now} points on the "
                f"compared period ({score_then}, n={int(row['n_before']):,})",
                "severity": float(drop) / TRUST_DROP,
            }
        )
    return out


def _growing_concerns(src: Source, f: Filters, before: Filters) -> list[dict]:
    """Areas whose concerns open at the end of the period grew markedly on the compared period's end."""
    if not src.has("concerns"):
        return []
    now = follow_through.follow_through_by(src, f, (AREA,)).set_index(AREA)["open_at_end"]
    then = follow_through.follow_through_by(src, before, (AREA,)).set_index(AREA)["open_at_end"]
    both = pd.DataFrame({"now": now}).join(pd.DataFrame({"then": then}), how="outer").fillna(0)
    out = []
    for area_id, row in both.iterrows():
        increase = row["now"] - row["then"]
        if increase >= OPEN_MIN_INCREASE and increase >= OPEN_MIN_GROWTH * row["then"]:
            noun = "concern" if row["now"] == 1 else "concerns"
            out.append(
                {
                    AREA: str(area_id),
                    "issue": OPEN_CONCERNS,
                    "detail": f"{int(row['now']):,} open {noun}, up from {int(row['then']):,}",
                    "severity": float(increase) / OPEN_MIN_INCREASE,
                }
            )
    return out


def _no_engagement(src: Source, f: Filters, before: Filters) -> list[dict]:
    """Areas in scope with no event (of the chosen programs) in the period."""
    now = engagement.by_area(src, f)
    then = engagement.by_area(src, before).set_index(AREA)["events"]
    what = "No event" if not f.programs else "No event of the chosen programs"
    out = []
    for area_id in now.loc[now["events"] == 0, AREA]:
        detail = f"{what} between {period_text(f.start, f.end).replace(' – ', ' and ')}"
        severity = NO_EVENT_SEVERITY
        if then.get(area_id, 0) == 0:
            detail += ", nor in the compared period"
            severity = NO_EVENT_EITHER_SEVERITY
        out.append({AREA: str(area_id), "issue": NO_ENGAGEMENT, "detail": detail, "severity": severity})
    return out


def needs_attention(src: Source, f: Filters, k: int, compare: str = PREVIOUS) -> pd.DataFrame:
    """Areas with falling trust, growing open concerns or no engagement, most urgent first.

    Columns: area_id, name, issue, detail, page, severity.
    """
    before = f.compared(compare)
    found = [
        *_falling_trust(src, f, before, k),
        *_growing_concerns(src, f, before),
        *_no_engagement(src, f, before),
    ]
    if f.areas:
        found = [row for row in found if row[AREA] in f.areas]
    if not found:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "severity" else "str") for c in COLUMNS})
    names = area_scope.names(src)
    out = pd.DataFrame(found)
    out["name"] = [names.get(a, a) for a in out[AREA]]
    out["page"] = out["issue"].map(PAGE_FOR_ISSUE)
    out = out.sort_values(["severity", "name", "issue"], ascending=[False, True, True], kind="stable")
    return out[list(COLUMNS)].reset_index(drop=True)
