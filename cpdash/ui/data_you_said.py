"""The "You said, we did" page's cached views: shared by every session asking for the same filters."""

from __future__ import annotations

import streamlit as st

from cpdash.config import Settings
from cpdash.data.dataset import Dataset
from cpdash.metrics import areas as area_scope
from cpdash.metrics.memory import MemorySource
from cpdash.metrics.periods import Filters
from cpdash.metrics.suppression import Policy
from cpdash.ui.data import _concern_table, _signature
from cpdash.ui.keys import HASH_FUNCS
from cpdash.views import concerns as concern_lists
from cpdash.views import you_said


@st.cache_resource(show_spinner=False, max_entries=2)
def _concern_topics(signature: str, _src: MemorySource) -> list[str]:
    """Every topic the concerns carry, whenever raised (the cards' choice): once per source, shared."""
    return you_said.topics(_src)


@st.cache_resource(show_spinner=False, max_entries=128, hash_funcs=HASH_FUNCS)
def _text_areas(signature: str, f: Filters, policy: Policy, _src: MemorySource) -> frozenset[str] | None:
    """The areas whose words may be shown for one filter state (both views of concerns ask)."""
    return concern_lists.text_areas(_src, f, policy)


@st.cache_data(show_spinner=False, max_entries=128, hash_funcs=HASH_FUNCS)
def _you_said(
    signature: str, f: Filters, policy: Policy, compare: str, _src: MemorySource, _ds: Dataset
) -> tuple[you_said.Summary, you_said.Backlog]:
    """The "You said, we did" cards and open backlog for one filter state (shared by sessions)."""
    names = area_scope.names(_src)
    concerns = _concern_table(signature, _ds)
    texts = _text_areas(signature, f, policy, _src)
    top = you_said.summary(_src, f, policy, compare, _concern_topics(signature, _src))
    return top, you_said.still_open(concerns, f, names, texts)


def get_you_said(
    settings: Settings, src: MemorySource, ds: Dataset, f: Filters, policy: Policy, compare: str
) -> tuple[you_said.Summary, you_said.Backlog]:
    """The "You said, we did" cards and open backlog for the filters."""
    return _you_said(_signature(settings), f, policy, compare, src, ds)


@st.cache_data(show_spinner=False, max_entries=128, hash_funcs=HASH_FUNCS)
def _you_said_group(
    signature: str, f: Filters, label: str, compare: str, policy: Policy | None, _src: MemorySource
) -> you_said.ByGroup:
    """Follow-through per area or topic for one filter state (shared by sessions)."""
    return you_said.by_group(_src, f, label, area_scope.names(_src), compare, policy)


def get_you_said_group(
    settings: Settings, src: MemorySource, f: Filters, label: str, compare: str, policy: Policy | None = None
) -> you_said.ByGroup:
    """Follow-through per area ("Area") or per topic ("Topic") for the filters, through `policy`."""
    return _you_said_group(_signature(settings), f, label, compare, policy, src)


@st.cache_data(show_spinner=False, max_entries=128, hash_funcs=HASH_FUNCS)
def _you_said_resolved(
    signature: str, f: Filters, topic: str, policy: Policy | None, _src: MemorySource, _ds: Dataset
) -> you_said.Resolved:
    """The resolved cards of one topic for one filter state (shared by sessions)."""
    texts = _text_areas(signature, f, policy, _src) if policy is not None else None
    concerns = _concern_table(signature, _ds)
    return you_said.resolved(concerns, f, area_scope.names(_src), topic, texts, policy)


def get_you_said_resolved(
    settings: Settings, src: MemorySource, ds: Dataset, f: Filters, topic: str, policy: Policy | None = None
) -> you_said.Resolved:
    """The most recently resolved concerns of `topic` for the filters, as cards (what residents said only
    from areas with enough concerns in the public view: pass the policy)."""
    return _you_said_resolved(_signature(settings), f, topic, policy, src, ds)
