"""JSON files of a data source, read so that no value in them can fail the whole file.

Integers too long for any column keep their text (and their row is rejected by validation); NaN, Infinity and
-Infinity, which JSON does not have but some writers emit, reject their row with a reason (in GeoJSON they are
the numbers they name, so that the geometry is rejected instead); escapes that give text no file can hold (a
lone surrogate, a NUL) are replaced; and the texts that mean blank in a CSV file mean blank here too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

LONGEST_JSON_INT = 18  # digits of a JSON integer read as a number (a longer one is kept as its text)
_RISKY_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


class _Constant(str):
    """NaN, Infinity or -Infinity as written in the file."""


def _json_int(text: str) -> int | str:
    """A JSON integer; one too long for any column is kept as written, so its row is rejected, not the file."""
    return int(text) if len(text) <= LONGEST_JSON_INT else text


def clean_text(text: str) -> str:
    """`text` without NUL characters and with lone surrogates (which UTF-8 cannot hold) as U+FFFD."""
    return text.replace("\x00", "").encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _cleaned(value: object) -> object:
    """`value` with every text in it cleaned (keys too)."""
    if isinstance(value, _Constant):
        return value
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    if isinstance(value, dict):
        return {_cleaned(k): _cleaned(v) for k, v in value.items()}
    return value


def _as_numbers(value: object) -> object:
    """`value` with NaN, Infinity and -Infinity as the floats they name."""
    if isinstance(value, _Constant):
        return float(value)
    if isinstance(value, list):
        return [_as_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_numbers(v) for k, v in value.items()}
    return value


def load_json(path: Path, constants_as_numbers: bool = False) -> object:
    """The JSON in `path` (see the module's docstring); ValueError or RecursionError when it is not JSON."""
    data = path.read_bytes()
    obj = json.loads(data.decode("utf-8-sig"), parse_int=_json_int, parse_constant=_Constant)
    if _RISKY_ESCAPE.search(data):
        obj = _cleaned(obj)
    if constants_as_numbers and (b"NaN" in data or b"Infinity" in data):
        obj = _as_numbers(obj)
    return obj


def records_frame(records: list[dict], na_values: list[str]) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Records as a frame of cells, and (position, reason) for records holding NaN or Infinity."""
    bad: list[tuple[int, str]] = []
    for position, record in enumerate(records):
        constants = [k for k, v in record.items() if isinstance(v, _Constant)]
        if constants:
            first = constants[0]
            bad.append(
                (position, f"not a number in {first}: '{record[first]}' (JSON has no NaN or Infinity)")
            )
            for key in constants:
                record[key] = None
    frame = pd.DataFrame.from_records(records)
    for column in frame.columns:  # what a CSV file leaves blank, a JSON file does too
        values = frame[column]
        if pd.api.types.is_string_dtype(values) or values.dtype == object:
            blank = values.isin(na_values)
            if blank.any():
                frame[column] = values.where(~blank, None)
    return frame, bad
