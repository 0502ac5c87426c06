"""Command line: `python -m cpdash import FILE --table TABLE --mapping PROFILE [--into SOURCE]`.

The same import as the Data page, for scheduled monthly loads: prints the validation report, commits,
and exits non-zero when more rows were rejected than `--max-rejected` allows (by default a fifth; then
nothing is imported, and the column most to blame is named). `--mapping suggest` uses the mapping the Data
page proposes, and prints it with the confidence and reason of each choice.
Exit codes: 0 imported (or checked, with --dry-run); 1 too many rows rejected; 2 the file, the mapping or
the target cannot be used; 3 the command could not run (a setting that cannot be used, or a failure no check
foresaw: said in one line, never as a traceback); 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from cpdash.config import settings_from_env
from cpdash.data.load import is_database
from cpdash.data.programs import PROGRAMS_FILE, add_rule, parse_rule, read_taxonomy
from cpdash.data.readers import DataError
from cpdash.data.schema import TABLES
from cpdash.export.safe_csv import to_csv_bytes
from cpdash.importing import importer, profiles
from cpdash.importing.conflicts import DEFAULT_POLICY, POLICIES
from cpdash.importing.store import log_frame, open_store

EXIT_OK, EXIT_REJECTED, EXIT_UNUSABLE, EXIT_CANNOT_RUN, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
FILE_LIMIT_MB = 2_048  # the largest file one command-line import reads (the page's limit is the server's)
SUGGEST = "suggest"  # --mapping suggest: the mapping the importer suggests (printed, to save and edit)
SHOWN_REASONS = 10
SHOWN_CONFLICTS = 3
SHOWN_TITLES = 8


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cpdash", description="cpdash data tools")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("import", help="import a file into the data source, with a mapping profile")
    run.add_argument("file", type=Path, help="CSV, Excel (.xlsx), JSON or GeoJSON file")
    run.add_argument("--table", required=True, choices=list(TABLES), help="the contract table it holds")
    run.add_argument(
        "--mapping",
        required=True,
        help=f"a mapping profile: a .json file, or a name saved in the source's profiles; '{SUGGEST}' uses "
        "the mapping the Data page proposes and prints it",
    )
    run.add_argument(
        "--into", help="the data source to import into (folder or database URL); default CPDASH_DATA"
    )
    run.add_argument(
        "--max-rejected",
        type=float,
        default=importer.MAX_REJECTED_DEFAULT,
        metavar="PCT",
        help="refuse the import (exit 1) when more than PCT %% of the rows are rejected (default "
        f"{importer.MAX_REJECTED_DEFAULT:g}; 100 imports whatever is accepted)",
    )
    run.add_argument(
        "--on-conflict",
        choices=list(POLICIES),
        default=DEFAULT_POLICY,
        help="rows with the same key and other values: keep the first, keep the last, or reject them all "
        f"(default {DEFAULT_POLICY})",
    )
    run.add_argument(
        "--skip-overlapping",
        action="store_true",
        help="skip events that look like ones already stored under another id (same area, starting within "
        "an hour, a similar title), such as a second export of the same calendar",
    )
    run.add_argument(
        "--add-rule",
        action="append",
        default=[],
        metavar="WORDS=PROGRAM",
        help=f"add a title rule to the source's {PROGRAMS_FILE} and use it now, such as 'Peer Jury=Youth "
        "mentorship'; 'Peer Jury=Peer jury (youth)' also adds the program, in its family (repeatable)",
    )
    run.add_argument(
        "--dissolve-by",
        metavar="COLUMNS",
        help="areas: dissolve the shapes sharing these columns into one (comma-separated, such as "
        "district,sector to make sectors from a beat file)",
    )
    run.add_argument(
        "--mode", choices=list(importer.MODES), default="add", help="add to the table (default) or replace it"
    )
    run.add_argument(
        "--sheet", help="the workbook sheet to read (default: the profile's, or the one named like the table)"
    )
    run.add_argument(
        "--rejected-out", type=Path, help="write the rejected rows, with their reasons, to this CSV file"
    )
    run.add_argument("--dry-run", action="store_true", help="check and report, but import nothing")
    log = commands.add_parser("log", help="print the import log of a data source")
    log.add_argument("--into", help="the data source (default CPDASH_DATA)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (never raises, never prints a traceback)."""
    args = _parser().parse_args(argv)
    try:
        settings = settings_from_env()
    except ValueError as exc:
        print(f"error: could not run: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    source = args.into or settings.data
    try:
        if args.command == "log":
            return _log(source)
        return _import(args, source)
    except (DataError, profiles.ProfileError) as exc:
        print(f"error: {_safe(str(exc), source)}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print("interrupted: nothing more was imported", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a failure no check foresaw: one line, the exit code of "could not run"
        text = (str(exc).strip().splitlines() or [""])[0][:300]
        print(f"error: could not run ({type(exc).__name__}: {_safe(text, source)})", file=sys.stderr)
        return EXIT_CANNOT_RUN


def _safe(text: str, source: str) -> str:
    """`text` without any secret of a database URL `source` (its password, credential query values)."""
    if not is_database(source):
        return text
    from cpdash.data.database import scrub

    return scrub(text, source)


def _log(source: str) -> int:
    frame = log_frame(open_store(source).read_log())
    print(frame.to_string(index=False) if len(frame) else "no imports yet")
    return EXIT_OK


def _import(args: argparse.Namespace, source: str) -> int:
    path: Path = args.file
    if not path.is_file():
        print(f"error: {path}: no such file", file=sys.stderr)
        return EXIT_UNUSABLE
    folder = profiles.profiles_folder(source)
    profile = None if args.mapping == SUGGEST else profiles.load_profile(args.mapping, folder)
    if profile is not None and profile.table != args.table:
        print(
            f"error: the mapping '{profile.name}' is for {profile.table}, not {args.table}", file=sys.stderr
        )
        return EXIT_UNUSABLE
    sheet = args.sheet or (profile.sheet if profile else None)
    size = path.stat().st_size
    if size > FILE_LIMIT_MB * 1024 * 1024:
        print(
            f"error: {path.name}: the file is {size / 1024 / 1024:,.0f} MB, above the {FILE_LIMIT_MB:,} MB "
            "limit of one import; split it (by month, say) and import the parts",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE
    upload = importer.read_upload(
        path.name, path.read_bytes(), sheet=sheet, table=args.table, max_bytes=FILE_LIMIT_MB * 1024 * 1024
    )
    if upload.unsure_sheet and sheet is None:
        print(
            f"error: {path.name} has {len(upload.sheets)} sheets ({', '.join(upload.sheets)}); name the one to "
            "import with --sheet",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE
    store = open_store(source)
    if is_database(source):
        store.read_log()  # raises a clear StoreError when the database cannot be reached
    elif not Path(source).is_dir():
        print(f"error: data source {source}: no such folder", file=sys.stderr)
        return EXIT_UNUSABLE
    if store.is_sample and not args.dry_run:
        print(
            f"error: {Path(source).name} is the synthetic sample city and is not changed by imports; set "
            "CPDASH_DATA (or --into) to a folder or database of your own and import into it",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE
    context = importer.context_for(source)
    context.taxonomy = read_taxonomy(source)  # an unusable programs file stops the import, saying why
    for text in args.add_rule:
        if store.is_sample:
            print(
                "error: the synthetic sample city's programs are not changed; import into your own data",
                file=sys.stderr,
            )
            return EXIT_UNUSABLE
        words, program, family = parse_rule(text)
        context.taxonomy = add_rule(source, words, program, family, write=not args.dry_run)
        print(f"title rule added{' (dry run: not saved)' if args.dry_run else ''}: '{words}' → {program}")
    dissolve = [c.strip() for c in (args.dissolve_by or "").split(",") if c.strip()]
    if profile is None:
        suggested = importer.suggest_mapping(upload, args.table, context, dissolve_by=dissolve)
        profile = suggested.profile
        print("suggested mapping (save it as a .json file to reuse and edit it):")
        print(profiles.profile_json(profile), end="")
        print("how each column was chosen (confidence, reason):")
        for column, why, confidence, reason in suggested.table().itertuples(index=False):
            print(f"  {column:<16} ← {why} ({confidence} %: {reason})")
    elif dissolve:
        profile.dissolve_by = dissolve
    prepared = importer.prepare(
        upload, profile, context, on_conflict=args.on_conflict, skip_overlaps=args.skip_overlapping
    )
    _report(prepared, args)
    if importer.rejected_count_over(prepared, args.max_rejected):
        culprit = importer.blame(prepared)
        print(
            f"{prepared.rejected_share:.1f} % of the rows were rejected, above --max-rejected "
            f"{args.max_rejected:g} %: nothing was imported"
            + (
                f". Most to blame: {culprit[0]} (from {culprit[1]}), {culprit[2]:,} rows, such as: {culprit[3]}"
                if culprit
                else ""
            ),
            file=sys.stderr,
        )
        return EXIT_REJECTED
    if args.dry_run:
        print("dry run: nothing was imported")
        return EXIT_OK
    entry = store.commit(prepared, args.mode, profile.name if args.mapping != SUGGEST else None)
    print(
        f"imported {entry.accepted:,} rows into {entry.written}"
        + (f" ({entry.updated:,} replaced rows with the same id)" if entry.updated else "")
    )
    return EXIT_OK


def _report(prepared: importer.Prepared, args: argparse.Namespace) -> None:
    """The validation report: counts, reasons, conflicts side by side, overlaps, titles left to Other."""
    for line in prepared.summary():
        print(line)
    if prepared.rejected.shape[0]:
        counts = importer.reason_counts(prepared.rejected)
        print("rejected rows by reason:")
        for reason, n in counts.head(SHOWN_REASONS).itertuples(index=False):
            print(f"  {n:>7,}  {reason}")
        if args.rejected_out:
            args.rejected_out.write_bytes(to_csv_bytes(prepared.rejected))
            print(f"rejected rows written to {args.rejected_out}")
    if prepared.conflict_count:
        print(f"conflicting rows (choose with --on-conflict; now {prepared.on_conflict}), the first few:")
        shown = prepared.conflicts[prepared.conflicts["conflict"] <= SHOWN_CONFLICTS]
        values = [c for c in shown.columns if c not in ("conflict", "row", "kept", "differs")]
        for record in shown.to_dict("records"):
            cells = ", ".join(
                f"{c}={record[c]}" for c in values if str(record[c]) not in ("nan", "None", "NaT")
            )
            print(f"  #{record['conflict']} row {record['row']} ({record['kept']}): {cells[:200]}")
    if len(prepared.overlaps):
        done = "skipped" if prepared.skipped else "imported as well unless you add --skip-overlapping"
        print(
            f"{len(prepared.overlaps):,} rows look like events already stored under another id ({done}), such as:"
        )
        for record in prepared.overlaps.head(3).to_dict("records"):
            print(
                f"  row {record['row']} '{str(record['title'])[:50]}' ~ {record['stored event_id']} "
                f"'{str(record['stored title'])[:50]}'"
            )
    if len(prepared.other_titles):
        print("titles counted as Other, most frequent first (add a rule with --add-rule 'WORDS=PROGRAM'):")
        for words, rows, example in prepared.other_titles.head(SHOWN_TITLES).itertuples(index=False):
            print(f"  {rows:>6,}  '{example[:60]}'  →  --add-rule '{words}=PROGRAM'")


if __name__ == "__main__":
    sys.exit(main())
