"""One result shape for a check: a name, a verdict, a table, a sentence and figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["CheckResult"]


@dataclass(frozen=True)
class CheckResult:
    """What a check found.

    Attributes
    ----------
    name : str
        The check's short name (``"truth"``).
    passed : bool or None
        The verdict; None for a check that only informs.
    table : DataFrame
        The check's numbers, one row per item scored.
    text : str
        One or two sentences a report can print as they are.
    figures : dict of str to matplotlib Figure
        Named figures, empty when the check draws none.
    """

    name: str
    passed: bool | None
    table: pd.DataFrame
    text: str
    figures: dict[str, Any] = field(default_factory=dict)
