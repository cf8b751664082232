"""Market sources behind one protocol, picked at the edge, stored through one ingestion path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from aegis import pipeline
from aegis.commands.data import app as data_app
from aegis.config import Settings, get_settings
from aegis.errors import StoreError
from aegis.market.sources import MarketFrames, MarketSource
from aegis.market.sources import live as live_module
from aegis.market.sources.history import HistorySource
from aegis.market.sources.live import LiveSource
from aegis.market.sources.simulator import SimulatorSource, simulate
from aegis.market.store import MarketStore
from aegis.pipeline.data import market_source

FIX = Path(__file__).parents[1] / "fixtures" / "market"
FILES = ("vix_ddmmyyyy_reverse.csv", "vix_mdy_zero_ohl.csv", "nifty_iso_index.csv")


def test_every_source_follows_the_protocol() -> None:
    end = pd.Timestamp("2024-06-14")
    for source in (SimulatorSource(7, 1.0, end), HistorySource([FIX]), LiveSource(3.0)):
        assert isinstance(source, MarketSource), source
    assert {s.name for s in (SimulatorSource(7, 1.0, end), HistorySource([]), LiveSource(1.0))
            } == {"simulator", "history", "live"}


def test_simulator_source_returns_the_simulated_series() -> None:
    end = pd.Timestamp("2024-06-14")
    frames = SimulatorSource(3, 1.0, end).fetch()
    market = simulate(3, 1.0, end=end)
    assert list(frames.series()) == ["nifty_daily", "vix_daily", "nifty_intraday",
                                     "vix_intraday", "option_chain"]
    for name, frame in market.series().items():
        pd.testing.assert_frame_equal(frames.series()[name], frame)
    assert frames.notes == {"seed": 3}
    assert frames.provenance is None
    assert frames.files == {}


def test_history_source_keeps_each_rows_file() -> None:
    frames = HistorySource([FIX / name for name in FILES]).fetch()
    assert set(frames.series()) == {"nifty_daily", "vix_daily"}
    assert frames.provenance is not None
    assert frames.provenance.explicit == {str(FIX / name) for name in FILES}
    vix_files = set(frames.files["vix_daily"])
    assert vix_files == {str((FIX / n).resolve()) for n in FILES[:2]}
    assert len(frames.files["nifty_daily"]) == len(frames.series()["nifty_daily"])


def test_live_source_asks_with_the_timeout_it_was_given(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    asked: list[tuple[str, float]] = []

    def fake(kind: str) -> object:
        def fetch(symbol: str, *, timeout: float) -> pd.DataFrame:
            asked.append((f"{kind}:{symbol}", timeout))
            return pd.DataFrame({"close": [1.0]}, index=pd.DatetimeIndex(
                ["2024-06-13"], name="session"))
        return fetch

    monkeypatch.setattr(live_module, "fetch_yahoo_daily", fake("daily"))
    monkeypatch.setattr(live_module, "fetch_yahoo_intraday", fake("1m"))
    monkeypatch.setattr(live_module, "fetch_nse_option_chain", fake("nse"))
    frames = LiveSource(timeout=4.5).fetch()
    assert set(frames.series()) == {"nifty_daily", "vix_daily", "nifty_intraday",
                                    "vix_intraday", "option_chain"}
    assert asked == [("1m:^NSEI", 4.5), ("daily:^NSEI", 4.5), ("1m:^INDIAVIX", 4.5),
                     ("daily:^INDIAVIX", 4.5), ("nse:NIFTY", 4.5)]


def test_market_source_is_built_from_the_settings(tmp_path: Path) -> None:
    clock = pd.Timestamp("2024-06-14 10:00", tz="Asia/Kolkata").to_pydatetime()
    sim = market_source(Settings(source="simulator", seed=11, sim_years=3.0, clock=clock))
    assert sim == SimulatorSource(11, 3.0, now=clock)
    # a DAG run's slot is its moment; a bare date stands for that day's close
    slot = market_source(Settings(source="simulator", seed=11, sim_years=3.0, clock=clock),
                         "2024-06-14T09:45:00+05:30")
    assert slot == SimulatorSource(11, 3.0, now=clock - pd.Timedelta(minutes=15))
    day = market_source(Settings(source="simulator", seed=11, sim_years=3.0), "2024-06-13")
    assert day == SimulatorSource(11, 3.0, now=pd.Timestamp("2024-06-13 15:30",
                                                            tz="Asia/Kolkata").to_pydatetime())
    # never after the clock: a later slot is cut to the moment the clock says
    cut = market_source(Settings(source="simulator", seed=11, sim_years=3.0, clock=clock),
                        "2024-06-14")
    assert cut == SimulatorSource(11, 3.0, now=clock)
    live = market_source(Settings(source="live", live_timeout_s=2.5, clock=clock))
    assert live == LiveSource(timeout=2.5, now=clock)
    history = market_source(Settings(source="history", history_dir=tmp_path))
    assert isinstance(history, HistorySource)
    assert list(history.paths) == [tmp_path]
    with pytest.raises(StoreError, match="AEGIS_HISTORY_DIR"):
        market_source(Settings(source="history", history_dir=tmp_path / "missing"))


def test_frames_refuse_an_unknown_series() -> None:
    with pytest.raises(StoreError, match="nifty_weekly"):
        MarketFrames.from_series({"nifty_weekly": pd.DataFrame()})


def test_cli_and_pipeline_ingest_store_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``aegis data ingest FOLDER`` and the ingest stage on AEGIS_HISTORY_DIR=FOLDER: one path."""
    folder = tmp_path / "history"
    folder.mkdir()
    for name in FILES:
        shutil.copy(FIX / name, folder / name)
    stores = {}
    for via in ("cli", "pipeline"):
        home = tmp_path / via
        monkeypatch.setenv("AEGIS_HOME", str(home))
        monkeypatch.setenv("AEGIS_SOURCE", "history")
        monkeypatch.setenv("AEGIS_HISTORY_DIR", str(folder))
        get_settings.cache_clear()
        if via == "cli":
            out = CliRunner().invoke(data_app, ["ingest", str(folder), "--json"])
            assert out.exit_code == 0, out.output
        else:
            result = pipeline.ingest("2024-06-14")
            assert result["source"] == "history"
            assert result["notes"]["skipped_files"] == []
            assert result["series"]["vix_daily"]["inserted"] == 7
        stores[via] = MarketStore(get_settings().resolved_data_dir)
    get_settings.cache_clear()
    for name in ("nifty_daily", "vix_daily"):
        pd.testing.assert_frame_equal(stores["cli"].read(name), stores["pipeline"].read(name))
    files = [[sorted(line.get("files", [])) for line in stores[v].history()] for v in stores]
    assert files[0] == files[1]
    assert all(files[0])


def test_ingest_of_a_history_folder_without_data_says_why(
    aegis_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "empty-history"
    folder.mkdir()
    (folder / "notes.csv").write_text("name,colour\nx,red\n")
    monkeypatch.setenv("AEGIS_SOURCE", "history")
    monkeypatch.setenv("AEGIS_HISTORY_DIR", str(folder))
    get_settings.cache_clear()
    with pytest.raises(StoreError, match=r"from history: expected rows.*notes\.csv"):
        pipeline.ingest("2024-06-14")
