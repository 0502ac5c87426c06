"""Columns a mapping makes rather than reads: a constant value, a value taken by a regular expression from
another column, columns joined into an id, the level implied by which area column a row fills, and ids
hashed from several columns. Each is saved in the mapping profile in a form people can read:

    "derived": {
      "level": {"value": "district"},
      "beat": {"from": "title", "pattern": "(\\\\d{4}) Beat"},
      "parent_id": {"template": "{district}", "level": "district"},
      "area_id": {"first_filled": [["sector", "SECTOR"], ["district", "DISTRICT"]], "take": "value"}
    }
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from cpdash.data.validate import to_text

MAX_PATTERN = 300  # characters of a regular expression
MAX_CELL = 500  # characters of a cell a regular expression reads
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class DeriveError(ValueError):
    """A derived column that cannot be made, with a message saying why."""


@dataclass(frozen=True)
class Derived:
    """How one contract column is made: exactly one of value, pattern (with source), template, first_filled."""

    value: str | None = None  # the same value for every row
    source: str | None = None  # the column a pattern reads
    pattern: str | None = None  # a regular expression: its first group that matched (or the whole match)
    template: str | None = None  # other columns joined: "{district}{sector}", "Beat {beat_num}"
    first_filled: tuple[tuple[str, str], ...] = ()  # (label, column): the first filled column of the row
    take: str = "label"  # first_filled: "label" (a level) or "value" (the id in that column)
    otherwise: str | None = None  # first_filled: when none is filled ("city")
    level: str | None = None  # ids made are matched among the stored areas of this level ("01" finds "1")

    def columns(self) -> set[str]:
        """The source columns it reads."""
        used = {self.source} if self.source else set()
        if self.template:
            used |= set(_PLACEHOLDER.findall(self.template))
        return used | {c for _, c in self.first_filled}

    def to_dict(self) -> dict:
        """Plain data for a profile file."""
        level = {"level": self.level} if self.level else {}
        if self.value is not None:
            return {"value": self.value, **level}
        if self.pattern is not None:
            return {"from": self.source, "pattern": self.pattern, **level}
        if self.template is not None:
            return {"template": self.template, **level}
        out: dict = {"first_filled": [list(p) for p in self.first_filled], "take": self.take}
        if self.otherwise is not None:
            out["otherwise"] = self.otherwise
        return out

    @classmethod
    def from_dict(cls, data: object, where: str) -> Derived:
        """A derived column from a profile file; DeriveError names what is wrong."""
        if not isinstance(data, dict):
            raise DeriveError(f'{where}: must be an object such as {{"value": "district"}}')
        kinds = [k for k in ("value", "pattern", "template", "first_filled") if data.get(k) is not None]
        if len(kinds) != 1:
            raise DeriveError(
                f"{where}: give exactly one of value, pattern (with from), template, first_filled"
            )
        kind = kinds[0]
        level = data.get("level")
        if level is not None and not isinstance(level, str):
            raise DeriveError(f"{where}: 'level' must name a level, such as \"district\"")
        if kind == "value":
            return cls(value=str(data["value"]), level=level)
        if kind == "pattern":
            source, pattern = data.get("from"), data["pattern"]
            if not isinstance(source, str) or not isinstance(pattern, str):
                raise DeriveError(f"{where}: a pattern needs 'from' (a column) and 'pattern' (text)")
            check_pattern(pattern, where)
            return cls(source=source, pattern=pattern, level=level)
        if kind == "template":
            template = data["template"]
            if not isinstance(template, str) or not _PLACEHOLDER.search(template):
                raise DeriveError(
                    f'{where}: a template names columns in braces, such as "{{district}}{{sector}}"'
                )
            return cls(template=template, level=level)
        pairs = data["first_filled"]
        if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in pairs
        ):
            raise DeriveError(f"{where}: 'first_filled' must be a list of [label, column] pairs")
        take = data.get("take", "label")
        if take not in ("label", "value"):
            raise DeriveError(f"{where}: 'take' must be label or value")
        otherwise = data.get("otherwise")
        return cls(
            first_filled=tuple((a, b) for a, b in pairs),
            take=take,
            otherwise=None if otherwise is None else str(otherwise),
        )

    def describe(self, column: str) -> str:
        """The derivation in words."""
        among = f", matched among the stored {self.level} areas" if self.level else ""
        if self.value is not None:
            return f"{column}: '{self.value}' for every row"
        if self.pattern is not None:
            return f"{column}: from '{self.source}' by the pattern {self.pattern}{among}"
        if self.template is not None:
            return f"{column}: made as {self.template}{among}"
        labels = ", ".join(f"{label} ('{c}')" for label, c in self.first_filled)
        what = "the level" if self.take == "label" else "the id"
        return f"{column}: {what} of the first filled of {labels}" + (
            f", else {self.otherwise}" if self.otherwise else ""
        )


def check_pattern(pattern: str, where: str = "pattern") -> re.Pattern:
    """A compiled regular expression; DeriveError when too long or not valid."""
    if len(pattern) > MAX_PATTERN:
        raise DeriveError(f"{where}: the pattern is longer than {MAX_PATTERN} characters")
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise DeriveError(f"{where}: not a valid regular expression ({exc})") from exc


def from_pattern(values: pd.Series, pattern: str) -> pd.Series:
    """What a regular expression finds in each cell: its first group that matched, else the whole match."""
    compiled = check_pattern(pattern)
    text = to_text(values)
    found: dict[str, str | None] = {}
    for value in text.dropna().unique():
        match = compiled.search(value[:MAX_CELL])
        if match is None:
            found[value] = None
            continue
        groups = [g for g in match.groups() if g]
        hit = (groups[0] if groups else match.group(0)).strip()
        found[value] = hit or None
    return text.map(found)


def from_template(frame: pd.DataFrame, template: str) -> pd.Series:
    """Columns joined as the template says; missing where a column it names is blank."""
    names = _PLACEHOLDER.findall(template)
    missing = [n for n in names if n not in frame]
    if missing:
        raise DeriveError(
            f"the template {template!r} names columns the file does not have: {', '.join(missing)}"
        )
    out = pd.Series(template, index=frame.index, dtype="object")
    blank = pd.Series(False, index=frame.index)
    for name in dict.fromkeys(names):
        cells = to_text(frame[name])
        blank |= cells.isna()
        out = pd.Series(
            [
                o.replace("{" + name + "}", c) if isinstance(c, str) else o
                for o, c in zip(out, cells, strict=True)
            ],
            index=frame.index,
            dtype="object",
        )
    return out.where(~blank)


def from_first_filled(frame: pd.DataFrame, derived: Derived) -> pd.Series:
    """The label (or value) of the first of the columns a row fills; `otherwise` where it fills none."""
    out = pd.Series(derived.otherwise, index=frame.index, dtype="object")
    for label, column in reversed(derived.first_filled):  # the first listed wins, so it is applied last
        if column not in frame:
            raise DeriveError(f"the column {column!r} is not in the file")
        cells = to_text(frame[column])
        out = out.where(cells.isna(), cells if derived.take == "value" else label)
    return out


def make(frame: pd.DataFrame, derived: Derived) -> pd.Series:
    """The column `derived` makes from the file's cells."""
    if derived.value is not None:
        return pd.Series(derived.value, index=frame.index, dtype="object")
    if derived.pattern is not None:
        if derived.source not in frame:
            raise DeriveError(f"the column {derived.source!r} is not in the file")
        return from_pattern(frame[derived.source], derived.pattern)
    if derived.template is not None:
        return from_template(frame, derived.template)
    return from_first_filled(frame, derived)


def build_ids(frame: pd.DataFrame, columns: Sequence[str], prefix: str) -> pd.Series:
    """An id from several columns (the same values give the same id): `prefix` + 10 hex digits."""
    parts = [to_text(frame[c]).fillna("").str.lower().str.strip() for c in columns]
    joined = parts[0].str.cat(parts[1:], sep="\x1f") if len(parts) > 1 else parts[0]
    digests = {v: hashlib.sha1(v.encode("utf-8")).hexdigest()[:10] for v in joined.unique()}
    return (prefix + joined.map(digests)).where(joined.str.replace("\x1f", "").str.len() > 0)
