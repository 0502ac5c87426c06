"""The one small-numbers policy: whether a figure is shown, flagged or hidden, and the words said in its place.

A figure resting on n responses (answers, scored comments, participants):
- n = 0: there is nothing to show ("no responses");
- 0 < n < k: hidden in the public view (its n too: an exact n is what makes subtraction work) and shown
  with a ⚠ flag in the staff view;
- otherwise shown. A published figure whose n was not published is shown as published.

Secondary suppression, for a set of figures whose parts add up to a figure that is shown (the areas of the
city, the groups of everyone): when the hidden parts rest together on fewer than k responses, more shown
parts are hidden until they do not, so that no hidden figure can be found by subtraction. They are taken in
the order of their key (area id, group label, month), not of their size: two listings of the same parts, in
any order, through any filter or over any period, hide the same ones first (were the smallest taken, one
period could hide one area and another period another, and the two together would give both away).
Every page, map, slide, pack and CSV asks this module; nothing else decides.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EMPTY, SHOWN, FLAGGED, HIDDEN = "empty", "shown", "flagged", "hidden"
FLAG = "⚠"
DASH = "—"


def _missing(n: float | None) -> bool:
    return n is None or (isinstance(n, float) and math.isnan(n))


@dataclass(frozen=True)
class Policy:
    """The small-numbers rule for one deployment view: k, and whether the view is public."""

    k: int = 10
    public: bool = False

    def status(self, n: float | None) -> str:
        """EMPTY, SHOWN, FLAGGED or HIDDEN for a figure resting on `n` (None or NaN: n not published)."""
        if _missing(n):
            return SHOWN
        if n <= 0:
            return EMPTY
        if n < self.k:
            return HIDDEN if self.public else FLAGGED
        return SHOWN

    def hidden(self, n: np.ndarray) -> np.ndarray:
        """Per figure: True when it may not be shown (primary suppression only)."""
        n = np.asarray(n, dtype="float64")
        if not self.public:
            return np.zeros(len(n), dtype=bool)
        with np.errstate(invalid="ignore"):
            return (n > 0) & (n < self.k)

    def flagged(self, n: np.ndarray) -> np.ndarray:
        """Per figure: True when it is shown with a ⚠ (staff view, fewer than k)."""
        n = np.asarray(n, dtype="float64")
        if self.public:
            return np.zeros(len(n), dtype=bool)
        with np.errstate(invalid="ignore"):
            return (n > 0) & (n < self.k)

    def hidden_in_set(
        self, n: np.ndarray, whole_shown: bool = True, keys: Sequence[object] | None = None
    ) -> np.ndarray:
        """Per part of a set that adds up to a shown whole: True when it must be hidden, secondary
        suppression included (see the module docstring). `keys` name the parts (area ids, group labels,
        months): the part hidden next is the one with the smallest key, whatever its n, so the choice never
        depends on the order the parts are listed in nor on the filters (None: the smallest part, the first
        listed among equals)."""
        n = np.nan_to_num(np.asarray(n, dtype="float64"))
        hide = self.hidden(n)
        if not self.public or not whole_shown or not hide.any():
            return hide
        rank = None if keys is None else np.argsort(np.argsort([str(k) for k in keys], kind="stable"))
        while True:
            total = n[hide].sum()
            if total >= self.k:
                return hide
            candidates = np.flatnonzero(~hide & (n > 0))
            if len(candidates) == 0:
                return hide
            pick = np.argmin(n[candidates]) if rank is None else np.argmin(rank[candidates])
            hide[candidates[pick]] = True

    def split_hidden(self, part: float, whole: float) -> bool:
        """True when a count of people split in two (returning and new, at two or more events and at one)
        may not show its parts: one rests on fewer than k, and the other would give it (the whole minus it)."""
        parts = np.array([part, whole - part], dtype="float64")
        return bool(self.hidden_in_set(parts, True, ("0", "1")).any())

    def show(self, value: float, n: float | None) -> float:
        """`value` when it may be shown, NaN when hidden or empty."""
        return value if self.status(n) in (SHOWN, FLAGGED) else math.nan

    def show_n(self, n: float | None) -> float:
        """`n` when it may be shown (not for a hidden figure in public), else NaN."""
        if _missing(n):
            return math.nan
        return math.nan if self.status(n) == HIDDEN else float(n)

    def mark(self, n: float | None) -> str:
        """' ⚠' after a flagged figure, else ''."""
        return f" {FLAG}" if self.status(n) == FLAGGED else ""

    def reason(self, n: float | None, noun: str = "responses") -> str:
        """What to say about a figure that is not plainly shown ('' when it is)."""
        state = self.status(n)
        if state == EMPTY:
            return f"no {noun} in this period"
        if state == HIDDEN:
            return f"not enough {noun} to show (fewer than {self.k})"
        if state == FLAGGED:
            return f"n={int(n):,}: fewer than {self.k} {noun}, treat with care"
        return ""

    def reason_in_set(self, n: float | None, hidden: bool, noun: str = "responses") -> str:
        """`reason(n)` for a part of a set, where `hidden` is what hidden_in_set said of it: a part hidden only
        so that a smaller one cannot be worked out by subtraction says so (never its n)."""
        if hidden and self.status(n) not in (HIDDEN, EMPTY):
            return f"not shown, so that a figure on fewer than {self.k} {noun} cannot be worked out from the others"
        return self.reason(n, noun)

    def n_text(self, n: float | None, noun: str = "n") -> str:
        """'n=1,234' for a figure's n; 'n not published' when unknown; '' when it may not be shown."""
        if _missing(n):
            return f"{noun} not published"
        return "" if self.status(n) == HIDDEN else f"{noun}={int(n):,}"

    @property
    def rule(self) -> str:
        """The rule in words, for captions."""
        return f"figures resting on fewer than {self.k} responses are " + (
            "not shown" if self.public else f"flagged {FLAG}"
        )
