"""The real daily history and its feature table, loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aegis.features.daily import build_daily_features
from aegis.market.history import MarketHistory, load_history


@pytest.fixture(scope="session")
def history(real_data_dir: Path) -> MarketHistory:
    """Every NIFTY and India VIX daily file under ``<real data>/history``, merged."""
    root = real_data_dir / "history"
    return load_history(
        sorted((root / "nifty_daily").glob("*.csv")), sorted((root / "vix_daily").glob("*.csv"))
    )


@pytest.fixture(scope="session")
def features(history: MarketHistory) -> pd.DataFrame:
    return build_daily_features(history.nifty, history.vix)
