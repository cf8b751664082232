"""Climatology is a nightly quantity: the retrain writes ``climatology.json`` and inference
reads it (typed, validated) instead of rebuilding the training datasets; when the file cannot
give a figure, inference recomputes it and says why."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from aegis.errors import ClimatologyFileError
from aegis.features.daily import build_daily_features
from aegis.market.sources.simulator import simulate
from aegis.models.climatology import ClimatologyFile, climatology, read_climatology_file
from aegis.models.specs import MODEL_SPECS
from aegis.pipeline.nightly import NightlyClimatology, climatology_file

NOW = datetime(2024, 6, 14, 20, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def history() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    market = simulate(seed=11, years=3, end="2024-06-14")
    return market.nifty, market.vix, build_daily_features(market.nifty, market.vix)


@pytest.fixture(scope="module")
def written(history: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
            tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("output") / "climatology.json"
    path.write_text(climatology_file(*history, computed_at=NOW).model_dump_json(indent=2))
    return path


def test_the_file_holds_every_models_climatology(
        history: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], written: Path) -> None:
    nightly = read_climatology_file(written)
    assert set(nightly.models) == set(MODEL_SPECS)
    assert nightly.as_of == history[2].index[-1].date()
    for name, record in nightly.models.items():
        direct = climatology(name, *history)
        again = record.to_climatology(name)
        assert (again.value, again.n, again.first, again.last) == (
            direct.value, direct.n, direct.first, direct.last)
        assert again.by_key == direct.by_key
    assert nightly.models["breach"].by_strike


def test_inference_reads_the_file_and_rebuilds_no_dataset(
        history: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], written: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a training dataset was rebuilt at inference")

    monkeypatch.setattr("aegis.models.datasets.build_dataset", refuse)
    source = NightlyClimatology(written, *history)
    for name in MODEL_SPECS:
        clim = source.get(name)
        assert clim.note == ""
        assert clim.value == read_climatology_file(written).models[name].value


def test_the_snapshot_builder_asks_the_nightly_file(
        history: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], tmp_path: Path) -> None:
    from aegis.pipeline.champions import Champions
    from aegis.pipeline.inference import InferenceInputs, SnapshotBuilder

    nifty, vix, features = history
    nightly = climatology_file(*history, computed_at=NOW)
    nightly.models["trap"].value = 0.123  # what the retrain wrote, whatever a rebuild says
    (tmp_path / "climatology.json").write_text(nightly.model_dump_json())
    inputs = InferenceInputs(features=features, nifty=nifty, vix=vix, intraday=None, chain=None,
                             rates=None, rates_path=tmp_path / "rates.json",
                             confidence=0.8, seed=7)
    builder = SnapshotBuilder(inputs, Champions(tmp_path / "models"), NOW)
    assert builder.climatology("trap").value == 0.123
    assert builder.climatology("trap").note == ""


def test_without_the_file_it_recomputes_and_says_why(
        history: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], tmp_path: Path) -> None:
    clim = NightlyClimatology(tmp_path / "climatology.json", *history).get("trap")
    assert clim.value == climatology("trap", *history).value
    assert "recomputed from the history at inference" in clim.note
    assert "climatology.json: expected the nightly climatology file; not found" in clim.note


def test_a_file_counting_later_events_is_not_used_for_an_earlier_moment(
        history: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], written: Path) -> None:
    nifty, vix, features = history
    earlier = features.loc[:"2024-03-28"]
    clim = NightlyClimatology(written, nifty.loc[:"2024-03-28"], vix.loc[:"2024-03-28"],
                              earlier).get("trap")
    assert "after this snapshot's last session 2024-03-28" in clim.note
    assert clim.last <= earlier.index[-1].date()


def test_a_malformed_file_is_named(tmp_path: Path,
                                   history: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
                                   ) -> None:
    path = tmp_path / "climatology.json"
    raw = json.loads(climatology_file(*history, computed_at=NOW).model_dump_json())
    raw["models"]["trap"]["value"] = 1.5
    path.write_text(json.dumps(raw))
    with pytest.raises(ClimatologyFileError, match=r"models\.trap\.value"):
        read_climatology_file(path)
    note = NightlyClimatology(path, *history).get("trap").note
    assert "wrongly shaped" in note
    assert ClimatologyFile.model_validate(json.loads(
        climatology_file(*history, computed_at=NOW).model_dump_json())).schema_version == 1
