"""Figures kept between reruns, with their dict for Streamlit made once.

st.plotly_chart asks a figure for its dict on every rerun that draws it, and plotly makes that dict by a
deep copy of every trace and of the layout: 2 to 3 ms a chart, every rerun, for a figure that has not
changed. A kept figure (read-only, as everything cached) makes its dict once and then hands out copies of
its outer dict and of each trace's (Streamlit's serialiser pops each trace's uid), the values shared.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go


class KeptFigure(go.Figure):
    """A plotly figure, never changed once drawn, whose to_dict is made once."""

    def to_dict(self) -> dict[str, Any]:
        """The figure as plotly's to_dict gives it: made on the first call, copied shallowly after."""
        made = self.__dict__.get("_made")
        if made is None:
            made = super().to_dict()
            self.__dict__["_made"] = made
        out = {**made, "data": [dict(trace) for trace in made["data"]]}
        if "frames" in made:
            out["frames"] = [dict(frame) for frame in made["frames"]]
        return out


def kept(figure: object) -> object:
    """A figure just made, now to be kept and drawn on many reruns: a KeptFigure (the same object, no copy)
    when it is a plain plotly figure; anything else as it is."""
    if type(figure) is go.Figure:
        figure.__class__ = KeptFigure
    return figure
