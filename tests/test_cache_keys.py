"""The caches' keys for filters, policy and compared period: exact (equal keys for equal values only), and
used by every cached function of cpdash.ui that takes them."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from cpdash.metrics.periods import Filters
from cpdash.metrics.suppression import Policy
from cpdash.ui.keys import HASH_FUNCS, compared_key, filters_key, policy_key
from cpdash.views.figures import Compared

UI = Path(__file__).resolve().parents[1] / "cpdash" / "ui"
days = st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)))
names = st.lists(st.sampled_from(["A", "B", "a,b", "'", '"', "", "A)"]), max_size=3).map(tuple)
filters = st.builds(Filters, days, days, names, names, st.lists(st.dates(), max_size=3).map(tuple))


@given(filters, filters)
def test_two_filters_share_a_key_only_when_equal(a: Filters, b: Filters) -> None:
    assert (filters_key(a) == filters_key(b)) == (a == b)


@given(st.integers(1, 50), st.booleans(), st.integers(1, 50), st.booleans())
def test_two_policies_share_a_key_only_when_equal(k1: int, p1: bool, k2: int, p2: bool) -> None:
    a, b = Policy(k1, p1), Policy(k2, p2)
    assert (policy_key(a) == policy_key(b)) == (a == b)


@given(filters, st.booleans(), filters, st.booleans(), st.sampled_from([None, "", "not shown"]))
def test_two_compared_periods_share_a_key_only_when_equal(a, ok_a, b, ok_b, note) -> None:
    one, two = Compared(a, ok_a, "t", "s", note), Compared(b, ok_b, "t", "s", None)
    assert (compared_key(one) == compared_key(two)) == (one == two)


def test_every_cache_keyed_by_filters_or_policy_uses_the_short_keys() -> None:
    """A cached function taking Filters, Policy or Compared (or a key tuple that holds them) hashes them with
    HASH_FUNCS, never by Streamlit's walk through the dataclass."""
    kinds = {t.__name__ for t in HASH_FUNCS} | {"tuple"}
    missing = []
    for path in sorted(UI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            caches = [
                d
                for d in node.decorator_list
                if isinstance(d, ast.Call) and ast.unparse(d.func).startswith("st.cache_")
            ]
            hashed = [
                a
                for a in node.args.args
                if not a.arg.startswith("_")
                and a.annotation is not None
                and any(kind in ast.unparse(a.annotation) for kind in kinds)
            ]
            if caches and hashed and not any(k.arg == "hash_funcs" for d in caches for k in d.keywords):
                missing.append(f"{path.name}:{node.name}")
    assert missing == []
