"""Walk the app in AppTest and collect everything it shows or offers: text, KPI cards, tables, chart and
map data, images and the bytes of every download (deferred ones are generated as a click would).

Used by the public-view property test and the cross-page consistency test.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO

TEXT_TYPES = {"markdown", "caption", "title", "header", "subheader", "text", "code", "latex", "alert", "info",
              "warning", "error", "success", "exception", "toast"}  # fmt: skip


@dataclass(frozen=True)
class Output:
    """One thing the app showed or offered: where (page and state), what kind, and its text."""

    where: str
    kind: str
    text: str


class Downloads:
    """Records the media file managers AppTest makes, so that download bytes can be read after a run."""

    def __init__(self) -> None:
        self.managers: list[MediaFileManager] = []

    def file(self, url: str | None, deferred: str | None) -> bytes | None:
        """The bytes behind a download button (a deferred one is generated now)."""
        manager = self.managers[-1] if self.managers else None
        if manager is None:
            return None
        if deferred:
            url = manager.execute_deferred(deferred)
        if not url:
            return None
        return manager._storage.get_file(os.path.basename(url)).content


@contextmanager
def recording(monkeypatch: pytest.MonkeyPatch) -> Iterator[Downloads]:
    """Record the media managers of every AppTest run while the block runs."""
    downloads = Downloads()
    original = MediaFileManager.__init__

    def init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        downloads.managers.append(self)

    monkeypatch.setattr(MediaFileManager, "__init__", init)
    yield downloads


def open_app(page: str, query: dict | None = None) -> AppTest:
    """A fresh session of the app on `page` with URL `query` (run once through the router)."""
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=120)
    if query:
        at.query_params.update(query)
    at.run()
    at.switch_page(page)
    at.run()
    return at


def _texts(data: bytes) -> list[tuple[str, str]]:
    """The text a download holds: itself, or each text member of a ZIP (PDFs and images are left out;
    the pack's PDF is the HTML printed)."""
    if data.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [
                (f" / {name}", archive.read(name).decode("utf-8", "replace"))
                for name in archive.namelist()
                if name.lower().endswith((".csv", ".html", ".txt", ".json", ".md"))
            ]
    if data.startswith(b"%PDF") or data.startswith(b"\x89PNG"):
        return []
    return [("", data.decode("utf-8", "replace"))]


def collect(at: AppTest, downloads: Downloads, where: str) -> list[Output]:
    """Every output of the app's last run."""
    out: list[Output] = []
    for node in at._tree:
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        if kind in TEXT_TYPES or kind.endswith(("markdown", "caption")):
            out.append(Output(where, kind, str(getattr(node, "value", ""))))
        elif kind == "metric":
            out.append(Output(where, "metric", f"{node.label} | {node.value} | {proto.delta} | {proto.help}"))
        elif kind in ("arrow_data_frame", "dataframe", "table"):
            frame = node.value
            out.append(Output(where, "table", frame.to_csv(index=False)))
        elif kind == "plotly_chart":
            out.append(Output(where, "chart", proto.spec))
        elif kind == "deck_gl_json_chart":
            out.append(Output(where, "deck", proto.json + (proto.tooltip or "")))
        elif kind == "html":
            out.append(Output(where, "html", proto.body))
        elif kind == "imgs":
            for img in proto.imgs:
                data = downloads.file(img.url, None) if img.url.startswith("/mock/") else img.url.encode()
                out.append(Output(where, "image", (data or b"").decode("utf-8", "replace")))
        elif kind == "download_button":
            deferred = proto.deferred_file_id if proto.HasField("deferred_file_id") else None
            data = downloads.file(proto.url, deferred)
            if data is not None:
                out += [
                    Output(f"{where} ↓ {proto.label}{name}", "download", text) for name, text in _texts(data)
                ]
        elif kind == "json":
            out.append(Output(where, "json", json.dumps(node.value)))
    return out
