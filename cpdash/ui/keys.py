"""How the caches key the filters, the policy and the compared period: a short exact text each.

Streamlit hashes a dataclass by copying it into a dict and walking it, dates one by one through pickle: a
public view's Filters, with the days its blocks start on, cost about 2 ms a hash, and a rerun asks ten
cached things keyed by it. The texts below say the same (repr of the fields is exact for dates, strings
and their tuples) in microseconds.
"""

from __future__ import annotations

from cpdash.metrics.periods import Filters
from cpdash.metrics.suppression import Policy
from cpdash.views.figures import Compared


def filters_key(f: Filters) -> str:
    """The filters as an exact text: period, areas, programs and the public view's block starts."""
    return repr((f.start, f.end, f.areas, f.programs, f.grid))


def policy_key(policy: Policy) -> str:
    """The policy as an exact text: k and the view."""
    return repr((policy.k, policy.public))


def compared_key(before: Compared) -> str:
    """The compared period as an exact text: its filters, whether changes show, and its words."""
    return repr((filters_key(before.filters), before.ok, before.text, before.short, before.note))


HASH_FUNCS = {Filters: filters_key, Policy: policy_key, Compared: compared_key}
