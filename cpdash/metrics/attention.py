"""Which areas need attention: falling trust, a growing backlog of open concerns, no engagement.

Each flag is computed from the one definition of its figure (scores, follow-through, engagement) over the
period and the period it is compared with. Severity is a multiple of the flag's threshold (a trust drop of
twice TRUST_DROP is 2.0); an area with no event is 1.0, or 1.5 with none in the compared period either.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cpdash.metrics import areas as area_scope
from cpdash.metrics import engagement, scores
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
    now = scores.scores_by(src, "trust", f, (AREA,))
    then = scores.scores_by(src, "trust", before, (AREA,))
    drop = then["score"].to_numpy() - now["score"].to_numpy()  # the same dense areas, in the same order
    with np.errstate(invalid="ignore"):
        keep = (now["n"].to_numpy() >= k) & (then["n"].to_numpy() >= k) & (drop >= TRUST_DROP - 1e-9)
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


def _growing_concerns(src: Source, f: Filters, before: Filters) -> list[dict]:
    """Areas whose concerns open at the end of the period grew markedly on the compared period's end."""
    if not src.has("concerns"):
        return []
    now = src.concerns(f, (AREA,))
    then = src.concerns(before, (AREA,))  # the same dense areas, in the same order
    grew = now["open_at_end"] - then["open_at_end"]
    keep = (grew >= OPEN_MIN_INCREASE) & (grew >= OPEN_MIN_GROWTH * then["open_at_end"])
    out = []
    for i in np.flatnonzero(keep):
        count, earlier = int(now["open_at_end"][i]), int(then["open_at_end"][i])
        out.append(
            {
                AREA: str(now.keys[AREA].iat[i]),
                "issue": OPEN_CONCERNS,
                "detail": f"{count:,} open {'concern' if count == 1 else 'concerns'}, up from {earlier:,}",
                "severity": float(grew[i]) / OPEN_MIN_INCREASE,
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


def needs_attention(
    src: Source,
    f: Filters,
    k: int,
    compare: str = PREVIOUS,
    by_area: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Areas with falling trust, growing open concerns or no engagement, most urgent first (`by_area`:
    engagement.by_area of the period and of the compared one, when already made).

    Columns: area_id, name, issue, detail, page, severity.
    """
    before = f.compared(compare)
    now, then = by_area or (engagement.by_area(src, f), engagement.by_area(src, before))
    found = [
        *_falling_trust(src, f, before, k),
        *_growing_concerns(src, f, before),
        *_no_engagement(now, then, f),
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
