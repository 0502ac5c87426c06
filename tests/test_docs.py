"""The README, the data dictionary and the code agree: configuration, tables, columns and limits."""

from __future__ import annotations

import re
from pathlib import Path

from cpdash.config import UPLOAD_LIMIT_MB, upload_limit_mb
from cpdash.data.schema import TABLES
from cpdash.importing.importer import MAX_UPLOAD_BYTES
from cpdash.views.data import dictionary

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CODE = [p for p in (ROOT / "cpdash").rglob("*.py")] + [ROOT / "dashboard.py", ROOT / "Makefile"]


def section(title: str) -> str:
    """The README's text under `## title`, up to the next heading of the same level."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.S | re.M)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def table_rows(text: str) -> list[list[str]]:
    """The cells of each row of the Markdown tables in `text` (header and rule rows left out)."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not set(line) <= set("|-: "):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[1:] if rows else rows


def test_every_setting_the_code_reads_is_in_the_configuration_table_and_no_other() -> None:
    read = set()
    for path in CODE:
        read |= set(re.findall(r"\bCPDASH_[A-Z_]+\b", path.read_text(encoding="utf-8")))
    read.discard("CPDASH_")
    documented = {re.sub(r"[`\s]", "", row[0]) for row in table_rows(section("Configuration"))}
    assert read <= documented, f"undocumented: {sorted(read - documented)}"
    assert documented - {"PORT"} <= read, f"documented but never read: {sorted(documented - read - {'PORT'})}"
    assert "PORT ?=" in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_the_upload_limit_is_one_setting() -> None:
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    limit = int(re.search(r"^maxUploadSize\s*=\s*(\d+)", config, re.M).group(1))
    assert UPLOAD_LIMIT_MB == upload_limit_mb() == limit
    assert limit * 1024 * 1024 == MAX_UPLOAD_BYTES
    lines = [line for line in README.splitlines() if "maxUploadSize" in line]
    mentioned = {int(m) for line in lines for m in re.findall(r"(\d+) MB\b", line)}
    assert len(lines) >= 2 and mentioned == {limit}, f"the README gives {mentioned} MB, the server {limit} MB"


def test_the_readme_data_table_lists_every_table_with_its_required_columns() -> None:
    rows = {
        re.sub(r"[`\s]", "", row[0]): row for row in table_rows(section("Data")) if row[0].startswith("`")
    }
    assert set(rows) == set(TABLES)
    for name, table in TABLES.items():
        required = set(re.findall(r"`([a-z_]+)`", rows[name][2]))
        assert required == set(table.required_columns), name
        optional = set(re.findall(r"`([a-z_]+)`", rows[name][3]))
        assert optional <= set(table.names) - set(table.required_columns), (
            f"{name}: {optional - set(table.names)}"
        )


def test_the_data_dictionary_is_the_schema() -> None:
    frame = dictionary()
    listed = set(zip(frame["table"], frame["column"], strict=True))
    assert listed == {(t.name, c.name) for t in TABLES.values() for c in t.columns}


def test_the_repository_does_not_refer_to_files_it_does_not_hold() -> None:
    texts = [README, (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in CODE + list((ROOT / "benchmarks").glob("*.py"))]
    for text in texts:
        for name in re.findall(r"\b([A-Z][A-Z_]+\.md)\b", text):
            held = [p for p in ROOT.rglob(name) if ".venv" not in p.parts]
            assert held, f"refers to {name}, which is not in the repository"
