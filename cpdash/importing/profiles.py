"""Mapping profiles: how one shape of export maps onto the contract, with its transforms, in a small JSON file.

A profile is saved once and chosen again for next month's export of the same shape (on the Data page, or
with `python -m cpdash import FILE --mapping NAME`). The files are meant to be read and edited by people:
besides the column for each contract column, a profile says which columns it makes (a constant, a value
found by a regular expression, columns joined; see cpdash.importing.derive), the level whose stored areas
the area ids are matched among, the columns that shapes are dissolved by, and the title rules of its own.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from cpdash.config import REPO_ROOT
from cpdash.data.programs import BUILT_IN_RULES
from cpdash.data.schema import AREA_LEVELS, TABLES
from cpdash.importing.dates import AUTO
from cpdash.importing.derive import Derived, DeriveError
from cpdash.importing.rules import ProgramRule
from cpdash.importing.scales import SCALES
from cpdash.importing.wide import WideSpec

PROFILE_SUFFIX = ".json"
PROFILES_FOLDER = "mappings"  # inside a folder source
DEFAULT_FOLDER = REPO_ROOT / PROFILES_FOLDER  # for database sources, unless CPDASH_PROFILES says otherwise
MAX_PROFILE_BYTES = 1_000_000
FORMAT_VERSION = 1
_SLUG = re.compile(r"[^0-9A-Za-z._-]+")
_SHORT_LIST = re.compile(r"\[\s*((?:\"(?:[^\"\\]|\\.)*\",\s*)*\"(?:[^\"\\]|\\.)*\")\s*\]")


class ProfileError(ValueError):
    """A profile file that cannot be used, with a message saying why."""


@dataclass
class Profile:
    """A mapping of one export's columns onto a contract table, and the transforms applied on the way."""

    name: str
    table: str
    columns: dict[str, str] = field(default_factory=dict)  # contract column -> source column
    date_formats: dict[str, str] = field(default_factory=dict)  # contract date column -> format or "auto"
    time_columns: dict[str, str] = field(default_factory=dict)  # contract date column -> source time column
    scales: dict[str, str] = field(default_factory=dict)  # score column -> answer scale (see SCALES)
    program_from: str | None = None  # source column whose text gives the program by the rules
    program_rules: list[ProgramRule] = field(default_factory=list)  # its own, tried before the taxonomy's
    area_from: str | None = None  # source column whose free text names the area
    id_from: list[str] = field(default_factory=list)  # source columns that make the id, when there is none
    wide: WideSpec | None = None  # a wide score table (area_scores only)
    sheet: str | None = None  # the workbook sheet to read
    description: str = ""
    derived: dict[str, Derived] = field(default_factory=dict)  # contract column -> how it is made
    area_level: str | None = None  # area ids are matched among the stored areas of this level
    dissolve_by: list[str] = field(default_factory=list)  # areas: shapes sharing these columns become one

    def source_columns(self) -> set[str]:
        """Every source column the profile reads."""
        used = set(self.columns.values()) | set(self.time_columns.values()) | set(self.id_from)
        used |= {c for c in (self.program_from, self.area_from) if c}
        used |= set(self.dissolve_by)
        for derived in self.derived.values():
            used |= derived.columns()
        if self.wide is not None:
            w = self.wide
            used |= {c for c in (w.period_start, w.period_end, w.count) if c}
            used |= set(w.levels.values()) | set(w.values) | set(w.counts.values())
        return used

    def missing_columns(self, columns: list[str]) -> list[str]:
        """The source columns the profile reads that a file lacks (none: the profile fits the file)."""
        present = {str(c) for c in columns}
        return sorted(c for c in self.source_columns() if c not in present)

    def to_dict(self) -> dict:
        """The profile as plain data, for its file."""
        return {
            "format": FORMAT_VERSION,
            "name": self.name,
            "table": self.table,
            "description": self.description,
            "sheet": self.sheet,
            "columns": dict(self.columns),
            "date_formats": dict(self.date_formats),
            "time_columns": dict(self.time_columns),
            "scales": dict(self.scales),
            "derived": {c: d.to_dict() for c, d in self.derived.items()},
            "program_from": self.program_from,
            **(
                {"program_rules": [[r.words, r.program] for r in self.program_rules]}
                if self.table == "events" and self.program_rules
                else {}
            ),
            "area_from": self.area_from,
            "area_level": self.area_level,
            "id_from": list(self.id_from),
            **({"dissolve_by": list(self.dissolve_by)} if self.dissolve_by else {}),
            "wide": self.wide.to_dict() if self.wide is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict, where: str = "profile") -> Profile:
        """A profile from plain data; ProfileError names what is wrong."""
        if not isinstance(data, dict):
            raise ProfileError(f"{where}: a profile must be a JSON object")
        table = data.get("table")
        if table not in TABLES:
            raise ProfileError(f"{where}: unknown table {table!r} (one of {', '.join(TABLES)})")
        columns = _str_dict(data.get("columns"), "columns", where)
        unknown = sorted(set(columns) - set(TABLES[table].names))
        if unknown:
            raise ProfileError(f"{where}: {table} has no column {', '.join(unknown)}")
        scales = _str_dict(data.get("scales"), "scales", where)
        bad_scales = sorted(s for s in scales.values() if s not in SCALES)
        if bad_scales:
            raise ProfileError(
                f"{where}: unknown answer scale {', '.join(bad_scales)} (one of {', '.join(SCALES)})"
            )
        rules = _rules(data.get("program_rules") or [], where)
        derived = _derived(data.get("derived"), table, where)
        area_level = data.get("area_level") or None
        if area_level is not None and area_level not in AREA_LEVELS:
            raise ProfileError(
                f"{where}: unknown area_level {area_level!r} (one of {', '.join(AREA_LEVELS)})"
            )
        dissolve_by = data.get("dissolve_by") or []
        if not isinstance(dissolve_by, list) or not all(isinstance(c, str) for c in dissolve_by):
            raise ProfileError(f"{where}: 'dissolve_by' must be a list of column names")
        wide = data.get("wide")
        if wide is not None and not isinstance(wide, dict):
            raise ProfileError(f"{where}: 'wide' must be an object")
        id_from = data.get("id_from") or []
        if not isinstance(id_from, list) or not all(isinstance(c, str) for c in id_from):
            raise ProfileError(f"{where}: 'id_from' must be a list of column names")
        return cls(
            name=str(data.get("name") or Path(where).stem),
            table=table,
            columns=columns,
            date_formats=_str_dict(data.get("date_formats"), "date_formats", where),
            time_columns=_str_dict(data.get("time_columns"), "time_columns", where),
            scales=scales,
            program_from=data.get("program_from") or None,
            program_rules=rules,
            area_from=data.get("area_from") or None,
            id_from=list(id_from),
            wide=WideSpec.from_dict(wide) if wide else None,
            sheet=data.get("sheet") or None,
            description=str(data.get("description") or ""),
            derived=derived,
            area_level=area_level,
            dissolve_by=list(dissolve_by),
        )

    def transforms_text(self) -> list[str]:
        """The transforms in words, for the report and the import log."""
        lines = []
        for column, fmt in self.date_formats.items():
            if fmt and fmt != AUTO:
                lines.append(f"{column}: dates read as {fmt}")
        for column, source in self.time_columns.items():
            lines.append(f"{column}: time of day from '{source}'")
        for column, scale in self.scales.items():
            if scale != "0-10":
                lines.append(f"{column}: rescaled to 0–10 from {SCALES[scale]}")
        for column, derived in self.derived.items():
            lines.append(derived.describe(column))
        if self.program_from:
            own = f" ({len(self.program_rules)} of its own first)" if self.program_rules else ""
            lines.append(f"program: from '{self.program_from}' by the title rules{own}")
        if self.area_from:
            lines.append(f"area_id: from the place named in '{self.area_from}'")
        if self.area_level:
            lines.append(f"area_id: matched among the stored {self.area_level} areas")
        if self.dissolve_by:
            lines.append(f"shapes sharing {', '.join(repr(c) for c in self.dissolve_by)} dissolved into one")
        if self.id_from:
            lines.append(f"id: built from {', '.join(repr(c) for c in self.id_from)}")
        if self.wide is not None:
            lines.append(f"wide table: {len(self.wide.values)} score columns turned into rows")
        return lines


def profile_json(profile: Profile) -> str:
    """The profile as indented JSON, each short list (a rule, a metric and group) on one line."""
    text = json.dumps(profile.to_dict(), indent=2, ensure_ascii=False)
    return (
        _SHORT_LIST.sub(lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",\n")) + "]", text)
        + "\n"
    )


def _str_dict(value: object, name: str, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ProfileError(f"{where}: '{name}' must map names to names")
    return {str(k): v for k, v in value.items()}


def _rules(value: object, where: str) -> list[ProgramRule]:
    """A profile's own title rules (a built-in rule copied into an older file is left to the taxonomy)."""
    if not isinstance(value, list):
        raise ProfileError(f"{where}: 'program_rules' must be a list of [words, program] pairs")
    built_in = set(BUILT_IN_RULES)
    rules = []
    for item in value:
        if not isinstance(item, (list, tuple)) or len(item) != 2 or not all(isinstance(x, str) for x in item):
            raise ProfileError(f"{where}: each program rule must be a [words, program] pair, not {item!r}")
        if not item[0].strip() or not item[1].strip():
            raise ProfileError(f"{where}: program rule {item!r} needs both its words and its program")
        if tuple(item) not in built_in:
            rules.append(ProgramRule(item[0], item[1]))
    return rules


def _derived(value: object, table: str, where: str) -> dict[str, Derived]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProfileError(f"{where}: 'derived' must map contract columns to how each is made")
    unknown = sorted(set(value) - set(TABLES[table].names))
    if unknown:
        raise ProfileError(f"{where}: {table} has no column {', '.join(unknown)} (in 'derived')")
    out = {}
    for column, data in value.items():
        try:
            out[column] = Derived.from_dict(data, f"{where}, derived {column}")
        except DeriveError as exc:
            raise ProfileError(str(exc)) from exc
    return out


def profiles_folder(source: str | Path) -> Path:
    """Where a source's profiles live: CPDASH_PROFILES, else `mappings/` in a folder source."""
    configured = os.environ.get("CPDASH_PROFILES", "").strip()
    if configured:
        return Path(configured)
    if "://" in str(source) and not Path(str(source)).exists():
        return DEFAULT_FOLDER
    return Path(source) / PROFILES_FOLDER


def file_name(name: str) -> str:
    """The file a profile called `name` is saved as."""
    slug = _SLUG.sub("-", name.strip()).strip("-.") or "mapping"
    return slug[:80] + PROFILE_SUFFIX


def save_profile(profile: Profile, folder: Path) -> Path:
    """Write `profile` as readable JSON into `folder` (replacing one of the same name); returns its path."""
    if not profile.name.strip():
        raise ProfileError("give the mapping a name before saving it")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(profile.name)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(profile_json(profile), encoding="utf-8")
    os.replace(tmp, path)
    return path


def load_profile(name_or_path: str | Path, folder: Path | None = None) -> Profile:
    """A profile by file path, or by name in `folder`; ProfileError when missing or unusable."""
    path = Path(name_or_path)
    if not path.is_file() and folder is not None:
        candidates = [folder / str(name_or_path), folder / file_name(str(name_or_path))]
        path = next((c for c in candidates if c.is_file()), path)
    if not path.is_file():
        where = f" (looked in {folder})" if folder is not None else ""
        raise ProfileError(f"no mapping profile {str(name_or_path)!r}{where}")
    if path.stat().st_size > MAX_PROFILE_BYTES:
        raise ProfileError(f"{path.name}: larger than {MAX_PROFILE_BYTES:,} bytes; not a mapping profile")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProfileError(f"{path.name}: not valid JSON ({exc})") from exc
    return Profile.from_dict(data, path.name)


def list_profiles(folder: Path, table: str | None = None) -> list[Profile]:
    """The usable profiles in `folder` (of `table`, when given), by name."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*" + PROFILE_SUFFIX)):
        try:
            profile = load_profile(path)
        except ProfileError:
            continue
        if table is None or profile.table == table:
            found.append(profile)
    return sorted(found, key=lambda p: p.name.lower())


def fitting_profile(profiles: list[Profile], columns: list[str]) -> Profile | None:
    """The profile whose columns a file has (the one reading most of them), or None."""
    fits = [p for p in profiles if p.source_columns() and not p.missing_columns(columns)]
    return max(fits, key=lambda p: len(p.source_columns()), default=None)
