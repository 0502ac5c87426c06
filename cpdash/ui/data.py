"""Loading the data source once per process and sharing it, read-only, with every session."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import streamlit as st

from cpdash.charts.maps import EventBasis, Shapes, compact_shapes, event_basis
from cpdash.config import Settings, settings_from_env
from cpdash.data.dataset import Dataset
from cpdash.data.load import load_dataset, source_signature
from cpdash.metrics.memory import MemorySource
from cpdash.metrics.periods import Filters
from cpdash.metrics.suppression import Policy
from cpdash.text.topics import load_taxonomy
from cpdash.views.overview import Overview, overview
from cpdash.views.participation import Basis, basis
from cpdash.views.voice_explorer import comment_table, search_texts

T = TypeVar("T")


@dataclass
class _Slot:
    """Where one source's data set lives once loaded; the lock makes concurrent first loads wait."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    dataset: Dataset | None = None


@st.cache_resource(show_spinner=False, max_entries=2)
def _slot(signature: str) -> _Slot:
    """The shared slot for a source; `signature` changes when its files change."""
    return _Slot()


def get_settings() -> Settings:
    """Deployment settings from the environment; stops the app with a clear message when invalid."""
    try:
        return settings_from_env()
    except ValueError as exc:
        st.error(f"Configuration error: {exc}")
        st.stop()


def get_dataset(settings: Settings) -> Dataset:
    """The shared data set; the first load shows its progress (reading, validating, scoring)."""
    slot = _slot(source_signature(settings.data))
    if slot.dataset is not None:
        return slot.dataset
    holder = st.empty()
    if not slot.lock.acquire(blocking=False):
        holder.info("Loading data…", icon="⏳")
        slot.lock.acquire()
    try:
        if slot.dataset is None:

            def progress(fraction: float, message: str) -> None:
                holder.progress(min(max(fraction, 0.0), 1.0), text=f"Loading data: {message}…")

            slot.dataset = load_dataset(settings.data, cache_dir=Path(settings.cache_dir), progress=progress)
    finally:
        slot.lock.release()
        holder.empty()
    return slot.dataset


@st.cache_resource(show_spinner=False, max_entries=2)
def _map_shapes(signature: str, _geojson: dict | None) -> Shapes:
    """Simplified area outlines of a source for maps, computed once per source and shared."""
    return compact_shapes(_geojson)


def get_map_shapes(settings: Settings, ds: Dataset) -> Shapes:
    """The data set's area outlines, ready to draw on a map (read-only, shared by every session)."""
    return _map_shapes(source_signature(settings.data), ds.areas_geojson)


@st.cache_resource(show_spinner=False, max_entries=2)
def _event_basis(signature: str, _ds: Dataset) -> EventBasis:
    """The Map page's event arrays (tooltips, radii, colours, h3 cells), once per source and shared."""
    return event_basis(_ds.events)


def get_event_basis(settings: Settings, ds: Dataset) -> EventBasis:
    """The data set's events as arrays ready to draw on a map (read-only, shared by every session)."""
    return _event_basis(source_signature(settings.data), ds)


@st.cache_resource(show_spinner=False, max_entries=2)
def _participation_basis(signature: str, _ds: Dataset) -> Basis:
    """The Participation page's arrays (events, launches, attendee records), once per source and shared."""
    return basis(_ds)


def get_participation_basis(settings: Settings, ds: Dataset) -> Basis:
    """The data set's events and attendee records as arrays for the Participation page (read-only, shared)."""
    return _participation_basis(source_signature(settings.data), ds)


@st.cache_resource(show_spinner=False, max_entries=16)
def _search_hits(signature: str, query: str, _src: MemorySource) -> np.ndarray | None:
    """Which distinct comments hold every word of `query`, once per source and query, shared."""
    table = comment_table(_src)
    return search_texts(table, query) if table is not None else None


def get_search_hits(settings: Settings, src: MemorySource, query: str) -> np.ndarray | None:
    """The comment explorer's search over every comment of the source (None for an empty query)."""
    return _search_hits(source_signature(settings.data), " ".join(query.lower().split()), src)


@st.cache_data(show_spinner=False, max_entries=256)
def _voice_view(signature: str, section: str, key: tuple, _make: Callable[[], T]) -> T:
    """One section of the Community voice page for one state (small; a state seen before costs nothing)."""
    return _make()


def get_voice_view(settings: Settings, section: str, key: tuple, make: Callable[[], T]) -> T:
    """A Community voice section's view, made by `make` once per source and `key` (every argument the view
    depends on besides the source: filters, policy, choices), and shared by every session."""
    return _voice_view(source_signature(settings.data), section, key, make)


@st.cache_resource(show_spinner=False, max_entries=2)
def _source(signature: str, folder: str, _ds: Dataset) -> MemorySource:
    """The statistics source of a data set (in memory), with the source's topic taxonomy; shared."""
    return MemorySource(_ds, load_taxonomy(folder))


def get_source(settings: Settings, ds: Dataset) -> MemorySource:
    """The data set's statistics source, shared read-only by every session (cpdash.metrics.gather)."""
    return _source(source_signature(settings.data), str(settings.data), ds)


@st.cache_data(show_spinner=False, max_entries=128)
def _overview(signature: str, f: Filters, policy: Policy, compare: str, _src: MemorySource) -> Overview:
    """The Overview's figures for one filter state (small; a state seen before costs nothing)."""
    return overview(_src, f, policy, compare)


def get_overview(settings: Settings, src: MemorySource, f: Filters, policy: Policy, compare: str) -> Overview:
    """The Overview's figures for the filters, shared by every session that asks for the same view."""
    return _overview(source_signature(settings.data), f, policy, compare, src)
