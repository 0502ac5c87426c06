"""Loading the data source once per process and sharing it, read-only, with every session."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cpdash.charts.maps import EventBasis, Shapes, compact_shapes, event_basis
from cpdash.config import Settings, settings_from_env
from cpdash.data.database import make_engine
from cpdash.data.dataset import Dataset
from cpdash.data.load import is_database, load_dataset, source_signature
from cpdash.data.schema import TABLES
from cpdash.metrics import sql
from cpdash.metrics.follow_through import ConcernTable
from cpdash.metrics.gather import Source
from cpdash.metrics.memory import MemorySource
from cpdash.metrics.periods import Filters
from cpdash.metrics.selection import period_grid, public_period, refusal
from cpdash.metrics.suppression import Policy
from cpdash.text.topics import load_taxonomy
from cpdash.ui import scoring
from cpdash.ui.context import PageContext
from cpdash.ui.figures import kept
from cpdash.ui.keys import HASH_FUNCS
from cpdash.views import concerns as concern_lists
from cpdash.views import town_hall
from cpdash.views.figures import Compared
from cpdash.views.map_areas import AreaFigures, area_figures
from cpdash.views.map_details import AreaDetails, area_details
from cpdash.views.overview import Overview, overview
from cpdash.views.participation import Participation, participation
from cpdash.views.participation_notable import Notables, notables
from cpdash.views.town_hall import Scope, Section, TownHall
from cpdash.views.voice_explorer import comment_table, search_texts

T = TypeVar("T")
_RUN_SIGNATURE = "_data_signature"  # session state: (source, signature) as this rerun found them
_RUN_PENDING = "_data_scoring"  # session state: True when this rerun's data set is still being scored
PENDING = "|sentiment still being computed"  # added to the version of a data set whose scoring runs
SMALL_TABLES = tuple(t for t in TABLES if t not in sql.IN_DATABASE)  # loaded beside a SQL source


@st.cache_resource(show_spinner=False, max_entries=4)
def _engine(url: str) -> object:
    """The process's pool of connections to a database source (one per URL, shared by every session)."""
    return make_engine(url)


def get_signature(settings: Settings) -> str:
    """The data source's current version (the key of every per-source cache)."""
    return _signature(settings)


def _signature(settings: Settings) -> str:
    """The version of this rerun's data set: its source's, marked while its sentiment is being scored (what
    is made then is not kept for the complete data set)."""
    base = _source_signature(settings)
    running = get_script_run_ctx() is not None and st.session_state.get(_RUN_PENDING, False)
    return base + PENDING if running else base


def _source_signature(settings: Settings) -> str:
    """The source's current version (a database's on the process's pool of connections), looked at once per
    rerun: every cache of one rerun is keyed by the same version, and a folder's files are listed once."""
    data = str(settings.data)
    if get_script_run_ctx() is None:  # outside a session (a script, a test): no rerun to remember it for
        return source_signature(data, _engine(data) if is_database(data) else None)
    seen = st.session_state.get(_RUN_SIGNATURE)
    if seen is None or seen[0] != data:
        seen = (data, source_signature(data, _engine(data) if is_database(data) else None))
        st.session_state[_RUN_SIGNATURE] = seen
    return seen[1]


@dataclass
class _Slot:
    """Where one source's data set lives once loaded; the lock makes concurrent first loads wait."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    dataset: Dataset | None = None
    stale: bool = False  # what was made while its sentiment was being scored is still kept


@st.cache_resource(show_spinner=False, max_entries=2)
def _slot(signature: str) -> _Slot:
    """The shared slot for a source; `signature` changes when its files change."""
    return _Slot()


def get_settings() -> Settings:
    """Deployment settings from the environment, read first on every rerun (so the rerun also looks at the
    source afresh); stops the app with a clear message when invalid."""
    if get_script_run_ctx() is not None:
        st.session_state.pop(_RUN_SIGNATURE, None)
        st.session_state.pop(_RUN_PENDING, None)
    try:
        return settings_from_env()
    except ValueError as exc:
        st.error(f"Configuration error: {exc}")
        st.stop()


def get_dataset(settings: Settings) -> Dataset:
    """The shared data set; the first load shows its progress (reading, validating), and many comments
    are scored after it, in the background (cpdash.ui.scoring)."""
    base = _source_signature(settings)
    slot = _slot(base)
    ds = _loaded(slot, settings)
    if ds.scoring is not None:
        slot.stale = True
    elif slot.stale:  # scoring is done: let go of the statistics made from the data set that waited for it
        slot.stale = False
        for made in (_source, _event_basis, _participation_notables, _concern_table):
            made.clear(base + PENDING, *((str(settings.data), False) if made is _source else ()), None)
    if get_script_run_ctx() is not None:
        st.session_state[_RUN_PENDING] = ds.scoring is not None
    return ds


def _loaded(slot: _Slot, settings: Settings) -> Dataset:
    """The slot's data set, loaded by the first session to ask (the others wait for it)."""
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

            # a database with statistics tables keeps its responses and attendees: figures come by SQL
            tables = SMALL_TABLES if _in_sql(settings) else None
            later = settings.score_later if tables is None else None
            slot.dataset = load_dataset(
                settings.data,
                cache_dir=Path(settings.cache_dir),
                progress=progress,
                tables=tables,
                later=later,
            )
            scoring.begin(slot)
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
    return _map_shapes(_signature(settings), ds.areas_geojson)


@st.cache_resource(show_spinner=False, max_entries=2)
def _event_basis(signature: str, _ds: Dataset) -> EventBasis:
    """The Map page's event arrays (tooltips, radii, colours, h3 cells), once per source and shared."""
    return event_basis(_ds.events)


def get_event_basis(settings: Settings, ds: Dataset) -> EventBasis:
    """The data set's events as arrays ready to draw on a map (read-only, shared by every session)."""
    return _event_basis(_signature(settings), ds)


@st.cache_resource(show_spinner=False, max_entries=2)
def _participation_notables(signature: str, _ds: Dataset) -> Notables:
    """The data set's program launches and unusually large events, found once per source and shared."""
    return notables(_ds.events)


@st.cache_data(show_spinner=False, max_entries=128, hash_funcs=HASH_FUNCS)
def _participation(
    signature: str,
    f: Filters,
    policy: Policy,
    compare: str,
    split: str,
    measure: str,
    _src: MemorySource,
    _notables: Notables,
    _names: dict[str, str],
) -> Participation:
    """The Participation page's figures for one filter state and choice of split and measure."""
    return participation(_src, _notables, f, policy, _names, compare, split, measure)


def get_participation(ctx: PageContext, split: str, measure: str) -> Participation:
    """The Participation page's figures for the context's filters, shared by every session asking for the
    same view."""
    signature = _signature(ctx.settings)
    found = _participation_notables(signature, ctx.ds)
    return _participation(
        signature, ctx.filters, ctx.policy, ctx.compare, split, measure, ctx.src, found, ctx.names
    )


@st.cache_resource(show_spinner=False, max_entries=16)
def _search_hits(signature: str, query: str, _src: MemorySource) -> np.ndarray | None:
    """Which distinct comments hold every word of `query`, once per source and query, shared."""
    table = comment_table(_src)
    return search_texts(table, query) if table is not None else None


def get_search_hits(settings: Settings, src: MemorySource, query: str) -> np.ndarray | None:
    """The comment explorer's search over every comment of the source (None for an empty query)."""
    return _search_hits(_signature(settings), " ".join(query.lower().split()), src)


@st.cache_data(show_spinner=False, max_entries=256, hash_funcs=HASH_FUNCS)
def _voice_view(signature: str, section: str, key: tuple, _make: Callable[[], T]) -> T:
    """One section of the Community voice page for one state (small; a state seen before costs nothing)."""
    return _make()


def get_voice_view(settings: Settings, section: str, key: tuple, make: Callable[[], T]) -> T:
    """A Community voice section's view, made by `make` once per source and `key` (every argument the view
    depends on besides the source: filters, policy, choices), and shared by every session."""
    return _voice_view(_signature(settings), section, key, make)


@st.cache_resource(show_spinner=False, max_entries=256, hash_funcs=HASH_FUNCS)
def _figure(signature: str, name: str, key: tuple, _make: Callable[[], T]) -> T:
    """One chart for one state, built once and shared (read-only), its dict for Streamlit made once too."""
    return kept(_make())


def get_figure(settings: Settings, name: str, key: tuple, make: Callable[[], T]) -> T:
    """The chart `name` made by `make` once per source and `key` (everything the chart's view depends on
    besides the source), so that a view served from its cache does not rebuild its figures either."""
    return _figure(_signature(settings), name, key, make)


@st.cache_resource(show_spinner=False, max_entries=2)
def _sql_ready(signature: str, url: str) -> bool:
    """True when the database source answers figures by SQL (PostgreSQL with current statistics tables)."""
    return sql.usable(_engine(url), load_taxonomy(url))


def _in_sql(settings: Settings) -> bool:
    """True when the source's figures come from SQL GROUP BY queries rather than rows in memory."""
    data = str(settings.data)
    return is_database(data) and _sql_ready(_signature(settings), data)


@st.cache_resource(show_spinner=False, max_entries=2)
def _source(signature: str, folder: str, in_sql: bool, _ds: Dataset) -> Source:
    """The statistics source of a data set (in memory, or the database's SQL), with its topics; shared."""
    if in_sql:
        return sql.SqlSource(_engine(folder), _ds, load_taxonomy(folder))
    return MemorySource(_ds, load_taxonomy(folder))


def get_source(settings: Settings, ds: Dataset) -> Source:
    """The data set's statistics source, shared read-only by every session (cpdash.metrics.gather)."""
    return _source(_signature(settings), str(settings.data), _in_sql(settings), ds)


@st.cache_data(show_spinner=False, max_entries=128, hash_funcs=HASH_FUNCS)
def _refusal(
    signature: str, f: Filters, policy: Policy, _src: MemorySource, _names: dict[str, str]
) -> str | None:
    """Why the public view refuses one filter state (cpdash.metrics.selection), once per state."""
    return refusal(_src, f, policy, _names)


@st.cache_resource(show_spinner=False, max_entries=4)
def _grid(signature: str, k: int, _src: Source) -> tuple:
    """The public view's block starts (cpdash.metrics.selection.period_grid), once per data version and k."""
    return period_grid(_src, Policy(k, public=True))


def get_public_period(
    settings: Settings, src: Source, f: Filters, policy: Policy
) -> tuple[Filters, str | None]:
    """The filters over whole blocks of months in the public view (and what to say when that widened the
    period asked for); unchanged in the staff view."""
    if not policy.public:
        return f, None
    return public_period(f, _grid(_signature(settings), policy.k, src), policy)


def get_refusal(ctx: PageContext) -> str | None:
    """Why the public view may not show the context's choice of areas and programs (None when it may)."""
    if not ctx.public or not (ctx.filters.areas or ctx.filters.programs):
        return None
    return _refusal(_signature(ctx.settings), ctx.filters, ctx.policy, ctx.src, ctx.names)


@st.cache_data(show_spinner=False, max_entries=128, hash_funcs=HASH_FUNCS)
def _overview(signature: str, f: Filters, policy: Policy, compare: str, _src: MemorySource) -> Overview:
    """The Overview's figures for one filter state (small; a state seen before costs nothing)."""
    return overview(_src, f, policy, compare)


def get_overview(settings: Settings, src: MemorySource, f: Filters, policy: Policy, compare: str) -> Overview:
    """The Overview's figures for the filters, shared by every session that asks for the same view."""
    return _overview(_signature(settings), f, policy, compare, src)


@st.cache_resource(show_spinner=False, max_entries=2)
def _concern_table(signature: str, _ds: Dataset) -> ConcernTable:
    """The concerns made ready for lists (the backlog, resolved cards), once per source and shared."""
    return concern_lists.ready(_ds.concerns)


def get_concern_table(settings: Settings, ds: Dataset) -> ConcernTable:
    """The data set's concerns sorted and keyed for lists (read-only, shared by every session)."""
    return _concern_table(_signature(settings), ds)


@st.cache_data(show_spinner=False, max_entries=256, hash_funcs=HASH_FUNCS)
def _town_hall_section(
    signature: str,
    area_id: str,
    f: Filters,
    before: Compared,
    policy: Policy,
    rows: bool,
    key: str,
    approved: frozenset[str] | None,
    _s: Scope,
) -> Section:
    """One town-hall section for one area, period and policy (shared by sessions)."""
    return town_hall.section(_s, key)


def get_town_hall_section(settings: Settings, s: Scope, key: str) -> Section:
    """One section of the town hall of a scope (the preview, a slide, the pack)."""
    return _town_hall_section(
        _signature(settings), s.area_id, s.f, s.before, s.policy, s.rows, key, s.approved, s
    )


def get_town_hall(settings: Settings, s: Scope) -> TownHall:
    """Every section of the town hall of a scope, for the pack."""
    sections = tuple(get_town_hall_section(settings, s, key) for key, _ in town_hall.SECTIONS)
    return TownHall(s.area_id, s.area_name, s.f.start, s.f.end, s.policy, sections)


@st.cache_data(show_spinner=False, max_entries=128, hash_funcs=HASH_FUNCS)
def _map_figures(signature: str, f: Filters, policy: Policy, measure: str, _src: MemorySource) -> AreaFigures:
    """The Map's per-area figures for one filter state and measure (small; a state seen before costs nothing)."""
    return area_figures(_src, f, policy, measure)


def get_map_figures(
    settings: Settings, src: MemorySource, f: Filters, policy: Policy, measure: str
) -> AreaFigures:
    """The Map's per-area figures of `measure` for the filters, shared by every session asking the same."""
    return _map_figures(_signature(settings), f, policy, measure, src)


@st.cache_data(show_spinner=False, max_entries=128, hash_funcs=HASH_FUNCS)
def _map_details(
    signature: str,
    f: Filters,
    policy: Policy,
    measure: str,
    area_id: str,
    measures: tuple[str, ...],
    _src: MemorySource,
    _ds: Dataset,
) -> AreaDetails:
    """One area's details beside the map, for one filter state."""
    figures = _map_figures(signature, f, policy, measure, _src)
    return area_details(_src, _ds, f, policy, figures, area_id, list(measures))


def get_map_details(
    settings: Settings,
    src: MemorySource,
    ds: Dataset,
    f: Filters,
    policy: Policy,
    measure: str,
    area_id: str,
    measures: list[str],
) -> AreaDetails:
    """The details of the area chosen on the Map (its figures in words, recent events, open concerns)."""
    signature = _signature(settings)
    return _map_details(signature, f, policy, measure, area_id, tuple(measures), src, ds)
