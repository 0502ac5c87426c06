"""The program taxonomy as data: the built-in programs and title rules, extended by a department's own file.

A data source may carry `programs.json` beside its data (for a database source: in the mappings folder,
`CPDASH_PROFILES`), adding programs and the title rules that find them in free-text calendar titles:

    {
      "programs": [
        {"name": "Peer jury", "family": "youth", "colour": "#7570b3", "rules": ["Peer Jury"]},
        {"name": "Domestic-violence outreach", "family": "outreach", "rules": ["DV", "Domestic Violence"]}
      ],
      "rules": [["Seniors", "Senior meetings"], ["Court Advocacy", "Faith and partner event"]]
    }

Each program has a name, a family (meetings, youth, outreach, events, services) and a colour (one is
chosen when none is given). Rules are tried in order, the department's before the built-in ones; the first
whose words a title holds wins (see cpdash.importing.rules for how words are matched).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from cpdash.config import REPO_ROOT
from cpdash.data.readers import DataError
from cpdash.data.schema import PROGRAM_COLOUR, PROGRAM_FAMILIES, PROGRAM_FAMILY, PROGRAMS

PROGRAMS_FILE = "programs.json"
MAX_FILE_BYTES = 1_000_000
MAX_PROGRAMS = 200
MAX_RULES = 5_000
MAX_NAME = 80
OTHER = "Other"
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Colours given in turn to a department's programs that name none (colour-blind-safe, unlike the built-ins').
EXTRA_COLOURS = (
    "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#1f78b4", "#b15928", "#6a3d9a",
    "#33a02c", "#fb9a99", "#8dd3c7", "#bebada",
)  # fmt: skip

# Built-in title rules, tried after a department's own: (words, program).
BUILT_IN_RULES: tuple[tuple[str, str], ...] = (
    ("National Night Out", "National Night Out"),
    ("NNO", "National Night Out"),
    ("Coffee With", "Coffee with a Cop"),
    ("Cops and Coffee", "Coffee with a Cop"),
    ("Peace Circle", "Faith and partner event"),
    ("Clergy", "Faith and partner event"),
    ("Faith", "Faith and partner event"),
    ("Church", "Faith and partner event"),
    ("Explorers", "Youth mentorship"),
    ("Mentor", "Youth mentorship"),
    ("Mentoring", "Youth mentorship"),
    ("Youth Basketball", "Youth sports and activities"),
    ("Sports", "Youth sports and activities"),
    ("Camp", "Youth sports and activities"),
    ("Senior", "Workshop / training"),
    ("Workshop", "Workshop / training"),
    ("Training", "Workshop / training"),
    ("Seminar", "Workshop / training"),
    ("Clean-up", "Community clean-up"),
    ("Cleanup", "Community clean-up"),
    ("Town Hall", "Town hall"),
    ("Block Party", "Block party"),
    ("Neighborhood Watch", "Neighbourhood watch"),
    ("Neighbourhood Watch", "Neighbourhood watch"),
    ("Block Club", "Neighbourhood watch"),
    ("Beat Meeting", "Beat / community meeting"),
    ("CAPS", "Beat / community meeting"),
    ("Community Meeting", "Beat / community meeting"),
    ("DAC", "Beat / community meeting"),
    ("Advisory Committee", "Beat / community meeting"),
    ("Advisory Council", "Beat / community meeting"),
    ("Survey", "Feedback project"),
    ("Listening Session", "Feedback project"),
)


class TaxonomyError(DataError):
    """A programs file that cannot be used, with a message saying what and where."""


@dataclass(frozen=True)
class Program:
    """One program: its name, family and map colour."""

    name: str
    family: str
    colour: str
    built_in: bool = False


@dataclass(frozen=True)
class TitleRule:
    """Titles holding `words` (in any order and word form) belong to `program`."""

    words: str
    program: str


@dataclass(frozen=True)
class Taxonomy:
    """Programs and title rules: the department's (when it has a file) and the built-in ones."""

    programs: tuple[Program, ...]
    rules: tuple[TitleRule, ...]  # the department's first, then the built-in ones
    source: str = "built-in"
    problem: str | None = None  # why the department's file was not used, when it was not
    own_rules: int = 0  # how many of `rules` are the department's

    @property
    def names(self) -> tuple[str, ...]:
        """Every program name, the built-in ones first (Other last)."""
        return tuple(p.name for p in self.programs)

    def get(self, name: str) -> Program | None:
        """The program called `name` (ignoring case), or None."""
        key = name.strip().lower()
        return next((p for p in self.programs if p.name.lower() == key), None)

    def colour(self, name: str) -> str:
        """The colour of a program (Other's for a name it does not know)."""
        program = self.get(name) or self.get(OTHER)
        return program.colour if program else PROGRAM_COLOUR[OTHER]

    def family(self, name: str) -> str:
        """The family of a program ("" for Other and unknown names)."""
        program = self.get(name)
        return program.family if program else ""


def built_in() -> Taxonomy:
    """The built-in programs and rules."""
    programs = tuple(Program(p, PROGRAM_FAMILY[p], PROGRAM_COLOUR[p], True) for p in PROGRAMS)
    return Taxonomy(programs, tuple(TitleRule(w, p) for w, p in BUILT_IN_RULES))


def programs_path(source: str | Path) -> Path:
    """Where a source's programs file lives: beside its data, or for a database in its mappings folder."""
    text = str(source)
    if "://" in text and not Path(text).exists():
        configured = os.environ.get("CPDASH_PROFILES", "").strip()
        return (Path(configured) if configured else REPO_ROOT / "mappings") / PROGRAMS_FILE
    return Path(source) / PROGRAMS_FILE


@dataclass
class _Parsed:
    programs: list[Program] = field(default_factory=list)
    rules: list[TitleRule] = field(default_factory=list)


def parse_taxonomy(data: object, where: str = PROGRAMS_FILE) -> Taxonomy:
    """The taxonomy a programs file's JSON holds, on top of the built-in one; TaxonomyError says what is wrong."""
    if not isinstance(data, dict):
        raise TaxonomyError(f"{where}: must be a JSON object with 'programs' and 'rules'")
    base = built_in()
    programs = {p.name.lower(): p for p in base.programs}
    order = [p.name.lower() for p in base.programs if p.name != OTHER]
    parsed = _Parsed()
    entries = data.get("programs") or []
    if not isinstance(entries, list) or len(entries) > MAX_PROGRAMS:
        raise TaxonomyError(f"{where}: 'programs' must be a list of at most {MAX_PROGRAMS} programs")
    extra = 0
    for number, entry in enumerate(entries, start=1):
        program, words = _program(entry, f"{where}, program {number}", programs, extra)
        if program.name.lower() not in programs:
            extra += 1
            order.append(program.name.lower())
        programs[program.name.lower()] = program
        parsed.rules += [TitleRule(w, program.name) for w in words]
    rules = data.get("rules") or []
    if not isinstance(rules, list) or len(rules) > MAX_RULES:
        raise TaxonomyError(f"{where}: 'rules' must be a list of at most {MAX_RULES} [words, program] pairs")
    top = []
    for number, item in enumerate(rules, start=1):
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)):
            raise TaxonomyError(f"{where}, rule {number}: must be a [words, program] pair, not {item!r}")
        words, name = item[0].strip(), item[1].strip()
        program = programs.get(name.lower())
        if program is None:
            raise TaxonomyError(
                f"{where}, rule {number}: {words!r} names the program {name!r}, which is neither built in "
                "nor in 'programs' (add it there with its family)"
            )
        if words:
            top.append(TitleRule(words, program.name))
    own = top + parsed.rules
    ordered = tuple(programs[k] for k in order) + (programs[OTHER.lower()],)
    return Taxonomy(ordered, tuple(own) + base.rules, where, None, len(own))


def _program(entry: object, where: str, known: dict[str, Program], extra: int) -> tuple[Program, list[str]]:
    """One entry of 'programs': the program and its rules' words."""
    if not isinstance(entry, dict):
        raise TaxonomyError(f"{where}: must be an object with name, family, colour and rules")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise TaxonomyError(f"{where}: 'name' must be a text of 1 to {MAX_NAME} characters")
    name = " ".join(name.split())
    existing = known.get(name.lower())
    family = entry.get("family", existing.family if existing else None)
    if family not in PROGRAM_FAMILIES and not (existing and family == existing.family):
        raise TaxonomyError(
            f"{where} ({name}): 'family' must be one of {', '.join(PROGRAM_FAMILIES)}, not {family!r}"
        )
    colour = entry.get("colour", entry.get("color"))
    if colour is None:
        colour = existing.colour if existing else EXTRA_COLOURS[extra % len(EXTRA_COLOURS)]
    if not isinstance(colour, str) or not _COLOUR.match(colour):
        raise TaxonomyError(f"{where} ({name}): 'colour' must be written #rrggbb, not {colour!r}")
    words = entry.get("rules") or []
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise TaxonomyError(f"{where} ({name}): 'rules' must be a list of words, such as [\"Peer Jury\"]")
    built = existing.built_in if existing else False
    return Program(existing.name if existing else name, family, colour.lower(), built), [
        w.strip() for w in words if w.strip()
    ]


def read_taxonomy(source: str | Path) -> Taxonomy:
    """The source's taxonomy (the built-in one when it has no file); TaxonomyError for a file that is unusable."""
    path = programs_path(source)
    if not path.is_file():
        return built_in()
    if path.stat().st_size > MAX_FILE_BYTES:
        raise TaxonomyError(f"{path.name}: larger than {MAX_FILE_BYTES:,} bytes; not a programs file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TaxonomyError(f"{path.name}: not valid JSON ({exc})") from exc
    except OSError as exc:
        raise TaxonomyError(f"{path.name}: cannot be read ({exc})") from exc
    return parse_taxonomy(data, path.name)


def load_taxonomy(source: str | Path) -> Taxonomy:
    """The source's taxonomy; never raises: an unusable file gives the built-in one, with the problem noted."""
    try:
        return read_taxonomy(source)
    except TaxonomyError as exc:
        return Taxonomy(
            built_in().programs, built_in().rules, "built-in", f"{exc}; the built-in programs are used"
        )


def add_rule(
    source: str | Path,
    words: str,
    program: str,
    family: str | None = None,
    colour: str | None = None,
    write: bool = True,
) -> Taxonomy:
    """Add a title rule (and, with `family`, a new program) to the source's programs file; the new taxonomy.

    The file is written whole and swapped in, so a reader sees the old file or the new one; with `write`
    False nothing is written (a dry run) and the taxonomy is what the file would give.
    """
    words = " ".join(str(words).split())
    if not words:
        raise TaxonomyError("a rule needs the words a title holds, such as 'Peer Jury'")
    path = programs_path(source)
    data: dict = {"programs": [], "rules": []}
    if path.is_file():
        read_taxonomy(source)  # refuse to add to a file that is unusable as it is
        data = json.loads(path.read_text(encoding="utf-8"))
        data.setdefault("programs", [])
        data.setdefault("rules", [])
    current = parse_taxonomy(data, path.name)
    known = current.get(program)
    if known is None:
        if family is None:
            raise TaxonomyError(
                f"no program {program!r}: name one of {', '.join(current.names)}, or give the new program's "
                f"family ({', '.join(PROGRAM_FAMILIES)}) to add it"
            )
        entry = {"name": " ".join(program.split()), "family": family}
        if colour:
            entry["colour"] = colour
        data["programs"].append(entry)
        name = entry["name"]
    else:
        name = known.name
    if [words, name] not in data["rules"]:
        data["rules"].insert(0, [words, name])  # the newest rule first: it is the most specific
    taxonomy = parse_taxonomy(data, path.name)  # checks the new program before anything is written
    if not write:
        return taxonomy
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return taxonomy


_RULE_FLAG = re.compile(r"^\s*(?P<words>[^=]+?)\s*=\s*(?P<program>[^()]+?)\s*(?:\((?P<family>[a-z]+)\))?\s*$")


def parse_rule(text: str) -> tuple[str, str, str | None]:
    """`Peer Jury=Peer jury (youth)` -> (words, program, family); `Seniors=Town hall` -> family None."""
    match = _RULE_FLAG.match(text)
    if match is None:
        raise TaxonomyError(
            f"a rule is written WORDS=PROGRAM (or WORDS=NEW PROGRAM (FAMILY) to add a program), not {text!r}"
        )
    family = match.group("family")
    if family is not None and family not in PROGRAM_FAMILIES:
        raise TaxonomyError(f"unknown family {family!r} (one of {', '.join(PROGRAM_FAMILIES)})")
    return match.group("words"), match.group("program"), family
