"""The architecture the README describes, enforced: a Streamlit-free core organised by concern, thin pages,
one implementation of each figure, modules that can be read in one sitting."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = sorted(p for p in (ROOT / "cpdash").rglob("*.py"))
UI = ROOT / "cpdash" / "ui"
PAGES = sorted((ROOT / "pages").glob("*.py"))
MAX_LINES = 420  # "a module you can read in one sitting" (~400 lines)
PACKAGES = {"data", "importing", "metrics", "text", "views", "charts", "export", "sample", "ui"}
# What a page may import: Streamlit, the standard library's small helpers, and the core's view side.
PAGE_IMPORTS = (
    "streamlit",
    "functools",
    "datetime",
    "cpdash.ui",
    "cpdash.views",
    "cpdash.charts",
    "cpdash.export",
)
PAGE_PREFIX = {
    "overview": "overview_",
    "map": "map_",
    "participation": "participation_",
    "community_voice": "voice_",
    "you_said_we_did": "you_said_",
    "town_hall": "town_hall_",
    "data": "data_",
}
VIEW_PAGES = ("overview", "map", "participation", "voice", "you_said", "town_hall", "data")
WIDGETS = {
    "button", "download_button", "checkbox", "toggle", "radio", "selectbox", "multiselect", "select_slider",
    "slider", "text_input", "number_input", "text_area", "date_input", "time_input", "file_uploader",
    "segmented_control", "pills", "color_picker", "tabs", "data_editor", "dataframe", "plotly_chart",
    "pydeck_chart", "form",
}  # fmt: skip


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def imports(path: Path) -> list[str]:
    """Every module a file imports (absolute names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


@pytest.mark.parametrize("path", [p for p in CORE if UI not in p.parents], ids=rel)
def test_the_core_never_imports_streamlit(path: Path) -> None:
    assert not [n for n in imports(path) if n == "streamlit" or n.startswith("streamlit.")]


@pytest.mark.parametrize("path", [p for p in CORE if UI not in p.parents], ids=rel)
def test_only_the_ui_caches(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"\blru_cache\b|functools\.cache\b|@cache\b|cache_data|cache_resource", text)


def test_the_core_is_organised_by_concern() -> None:
    top = {p.stem for p in (ROOT / "cpdash").glob("*.py")} - {"__init__", "__main__", "config"}
    assert not top, f"modules outside the packages by concern: {sorted(top)}"
    packages = {p.name for p in (ROOT / "cpdash").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == PACKAGES


@pytest.mark.parametrize("path", [*CORE, *PAGES, ROOT / "dashboard.py"], ids=rel)
def test_every_module_can_be_read_in_one_sitting(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{rel(path)} has {lines} lines"


@pytest.mark.parametrize("path", PAGES, ids=rel)
def test_pages_are_thin(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    foreign = [n for n in imports(path) if not n.startswith(PAGE_IMPORTS) and n != "__future__"]
    assert not foreign, f"{rel(path)} imports {foreign}: data work belongs in cpdash.views"
    assert not re.search(r"\.(groupby|merge|pivot_table|agg|apply|iterrows|sum|mean)\(", text)
    assert not re.search(r"\bpublic\b.*\bsuppress|\bsuppress\w*\b.*\bpublic\b", text), (
        "a policy decision in a page"
    )


@pytest.mark.parametrize("path", PAGES, ids=rel)
def test_every_widget_has_a_page_prefixed_key(path: Path) -> None:
    prefix = PAGE_PREFIX[path.stem]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WIDGETS:
            keys = [k.value for k in node.keywords if k.arg == "key"]
            assert keys, f"{rel(path)}:{node.lineno}: {node.func.attr} without a key"
            key = keys[0]
            if isinstance(key, ast.Constant):
                assert str(key.value).startswith(prefix), f"{rel(path)}:{node.lineno}: key {key.value!r}"
            elif isinstance(key, ast.JoinedStr):
                first = key.values[0]
                assert isinstance(first, ast.Constant) and str(first.value).startswith(prefix), (
                    f"{rel(path)}:{node.lineno}: key does not start with {prefix!r}"
                )


@pytest.mark.parametrize("path", sorted((ROOT / "cpdash" / "views").glob("*.py")), ids=rel)
def test_no_view_imports_another_pages_view(path: Path) -> None:
    own = next((page for page in VIEW_PAGES if path.stem.startswith(page)), None)
    for name in imports(path):
        match = re.match(r"cpdash\.views\.([a-z_]+)", name)
        if not match:
            continue
        other = next((page for page in VIEW_PAGES if match.group(1).startswith(page)), None)
        assert other is None or other == own, f"{rel(path)} imports the {other} page's view"


# One truth: a figure or threshold computed outside cpdash.metrics is a second implementation.
SECOND_TRUTH = re.compile(
    r"(?:sentiment|compound|score|SENTIMENT)[^\n]*[<>]=?\s*-?0\.05\b|-?0\.05\s*[<>][^\n]*(?:sentiment|compound)|"
    r"between\(\s*-0\.05|positive\s*-\s*negative|\.mean\(\)\s*\*\s*10\b|\.std\(|previous_period\(|"
    r"timedelta\(days=self\.days|\bt975\(|SCORE_SCALE\b"
)


@pytest.mark.parametrize(
    "path",
    [p for p in [*CORE, *PAGES] if "metrics" not in p.parts and "sample" not in p.parts],
    ids=rel,
)
def test_no_figure_is_computed_outside_the_metrics_package(path: Path) -> None:
    found = [m.group(0) for m in SECOND_TRUTH.finditer(path.read_text(encoding="utf-8"))]
    assert not found, f"{rel(path)} computes a figure itself: {found}"


def test_public_functions_of_the_core_say_what_they_do() -> None:
    missing = []
    for path in CORE:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not ast.get_docstring(tree):
            missing.append(rel(path))
        for node in tree.body:
            public = isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")
            if public and not ast.get_docstring(node):
                missing.append(f"{rel(path)}:{node.name}")
    assert not missing, missing
