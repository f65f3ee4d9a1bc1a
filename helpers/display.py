"""Formatted HTML tables and ratios, for every result's ``_repr_html_``; introduced with the
benchmark table of :ref:`sphx_glr_auto_examples_01_walkthrough_plot_02_with_helpers.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape

import pandas as pd

__all__ = ["format_ratio", "html_table"]


def format_ratio(value: float) -> str:
    """A speed-up as ``0.73x``, ``4.2x`` or ``1,988x``: the digits that matter.

    >>> format_ratio(0.7312), format_ratio(4.21), format_ratio(1987.6)
    ('0.73x', '4.2x', '1,988x')
    """
    if value != value:  # NaN
        return "n/a"
    return f"{value:.2f}x" if value < 1 else f"{value:.1f}x" if value < 10 else f"{value:,.0f}x"


def html_table(frame: pd.DataFrame, formats: Mapping[str, str | Callable[[float], str]], caption: str) -> str:
    """``frame`` as an HTML table with formatted columns, no index, and escaped text and caption."""
    shown = {column: value for column, value in formats.items() if column in frame.columns}
    styled = frame.style.format(shown, escape="html").hide(axis="index")
    return styled.set_caption(escape(caption)).to_html()
