"""Input checks shared by the feature builders; each raises :class:`FeatureInputError`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from aegis.errors import FeatureInputError


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise when ``frame`` lacks any of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise FeatureInputError(
            f"{what}: expected columns {list(columns)}; missing {missing}, "
            f"found {list(frame.columns)}"
        )


def require_session_index(frame: pd.DataFrame, what: str) -> None:
    """Raise unless ``frame`` is indexed by unique, increasing, tz-naive session dates."""
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        raise FeatureInputError(
            f"{what}: expected a DatetimeIndex of sessions; found {type(index).__name__}"
        )
    if index.tz is not None:
        raise FeatureInputError(f"{what}: expected tz-naive session dates; found tz {index.tz}")
    if not index.is_unique:
        dup = index[index.duplicated()][0]
        raise FeatureInputError(f"{what}: expected unique sessions; {dup.date()} repeats")
    if not index.is_monotonic_increasing:
        raise FeatureInputError(f"{what}: expected sessions in increasing order")


def require_positive(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise on the first price that is zero or negative (NaN is allowed: it means unknown)."""
    for column in columns:
        values = frame[column].to_numpy(dtype="float64")
        bad = np.flatnonzero(values <= 0.0)
        if bad.size:
            row = int(bad[0])
            raise FeatureInputError(
                f"{what}, row {row + 1} ({_label(frame.index[row])}), column {column!r}: "
                f"expected a positive price; found {float(values[row])!r} ({bad.size} such rows)"
            )


def _label(key: object) -> str:
    """A row label for messages: ISO date for midnight timestamps, else ``str``."""
    if isinstance(key, pd.Timestamp) and key == key.normalize():
        return key.date().isoformat()
    return str(key)
