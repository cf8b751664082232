"""Inference and model health on the session's trained deployment (DESIGN.md, law 1).

Every published number says where it came from; a champion that cannot be used makes *its*
number a stated baseline and the snapshot ``degraded``; a failed run leaves the previous
snapshot byte-identical.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from aegis import pipeline
from aegis.config import get_settings
from aegis.errors import ArtifactMissingError, SnapshotError, StoreError
from aegis.models.inputs import breach_inputs, row_inputs, sequence_inputs
from aegis.models.specs import MODEL_SPECS
from aegis.pipeline.data import load_daily
from aegis.rates.empirical import wilson_interval
from aegis.registry.artifacts import load_champion, read_registry
from aegis.snapshot import BaselineProvenance, ModelProvenance, Snapshot, read_snapshot
from aegis.snapshot.provenance import Provenance

if TYPE_CHECKING:
    from tests.unit.pipeline_fixtures import Deployment

pytest_plugins = ["tests.unit.pipeline_fixtures"]
# slow: every test reads the session's trained deployment; make test runs it
pytestmark = pytest.mark.slow

#: snapshot field published from each model
MODEL_FIELDS = {
    "trap": "trap",
    "expiry_stress": "expiry_stress",
    "breach": "breach_probabilities",
    "direction": "direction",
    "buyer": "buyer_signal",
}

TRUSTED_KINDS = {"model", "formula", "empirical"}


def _field_provenance(snapshot: Snapshot, field: str) -> list[Provenance]:
    return [prov for name, prov in snapshot.iter_provenance() if name == field]


@pytest.fixture(scope="module")
def healthy(trained_deployment: Deployment) -> Snapshot:
    return read_snapshot(trained_deployment.snapshot_path)


def test_gate_refusals_are_recorded_and_the_rest_promoted(trained_deployment: Deployment) -> None:
    decisions = trained_deployment.stages["promote"]["models"]
    assert set(decisions) == set(MODEL_FIELDS)
    assert trained_deployment.stages["promote"]["pushed"] is True
    for name, decision in decisions.items():
        assert decision["promoted"] == (name not in trained_deployment.forced), name
        assert decision["reason"].startswith("promoted" if decision["promoted"] else "not promoted")
    champions = read_registry(trained_deployment.models_dir)["champions"]
    assert {n: c["version"] for n, c in champions.items()} == {
        n: d["version"] for n, d in decisions.items()}


def test_healthy_snapshot_is_ok_with_chain_numbers(
    healthy: Snapshot, trained_deployment: Deployment
) -> None:
    assert healthy.status == "ok"
    assert healthy.degraded_reasons == []
    # the simulator lists a chain for the expiry, so max pain and PCR are published
    assert healthy.max_pain is not None
    assert healthy.pcr is not None
    assert healthy.provenance.max_pain is not None
    assert healthy.provenance.max_pain.kind == "formula"
    assert healthy.as_of.date() == pd.Timestamp(trained_deployment.logical_date).date()


def test_every_number_has_trusted_provenance(
    healthy: Snapshot, trained_deployment: Deployment
) -> None:
    kinds = {field: prov.kind for field, prov in healthy.iter_provenance()}
    assert set(kinds.values()) <= TRUSTED_KINDS, kinds
    champions = read_registry(trained_deployment.models_dir)["champions"]
    for model, field in MODEL_FIELDS.items():
        provs = _field_provenance(healthy, field)
        assert provs, field
        for prov in provs:
            assert isinstance(prov, ModelProvenance), (field, prov)
            assert (prov.kind, prov.name, prov.version) == (
                "model", model, champions[model]["version"])
    for block in (healthy.trap, healthy.expiry_stress, healthy.direction, healthy.buyer_signal):
        assert block is not None
        assert block.calibration.brier is not None
        assert block.calibration.n is not None
        assert block.calibration.n > 0
    for rate in (healthy.historical_hit_rate, healthy.historical_spike_rate):
        assert rate is not None
        assert rate.provenance.kind == "empirical"
        assert rate.n > 30
        assert rate.provenance.n == rate.n
        lo, hi = rate.ci95
        assert 0.0 <= lo < rate.value < hi <= 1.0


def test_safe_range_and_hit_rate_are_those_of_todays_horizon(
    healthy: Snapshot, trained_deployment: Deployment
) -> None:
    """Provenance n and window are those of the fit used; the hit rate has today's horizon."""
    from aegis.market.store import MarketStore
    from aegis.rates import fit_range_for_session, session_windows

    store = MarketStore(trained_deployment.home / "data")
    windows = session_windows(store.read("nifty_daily"), store.read("vix_daily"))
    sr, hit = healthy.safe_range, healthy.historical_hit_rate
    assert sr is not None
    assert hit is not None
    h = healthy.expiry.sessions
    fit = fit_range_for_session(windows, sr.confidence, session=healthy.as_of.date(),
                                sessions_to_expiry=h)
    assert (sr.sessions_to_expiry, sr.fit_scope, sr.k_session) == (h, fit.scope, fit.k_session)
    # at a close the horizon is whole and the range is k_session trading-time expected moves
    assert healthy.expiry.horizon_sessions == h
    assert sr.k == sr.k_session
    tau = healthy.expiry.trading_time_years
    assert tau is not None
    assert tau == pytest.approx(h / 252)
    assert sr.expected_move == pytest.approx(healthy.spot * healthy.vix / 100 * np.sqrt(tau))
    assert sr.provenance.kind == "empirical"
    assert (sr.provenance.n, sr.provenance.window.from_, sr.provenance.window.to) == (
        fit.n, fit.first_start.date(), fit.last_expiry.date())
    assert sr.provenance.method == (
        f"{fit.method}; fitted nightly (rates.json as of {healthy.as_of.date()})")
    assert hit.horizon is not None
    assert hit.horizon.sessions_to_expiry == h
    assert hit.horizon.n < hit.n
    assert hit.ci95_block_bootstrap is not None
    assert "overlap" in (hit.interval_note or "")


def test_published_probabilities_are_the_champions_outputs(
    healthy: Snapshot, trained_deployment: Deployment
) -> None:
    """Known answer: score today's validated row with each verified champion directly."""
    from aegis.models.climatology import climatology
    from aegis.pipeline.publishing import read_publishing

    models = trained_deployment.models_dir
    features = pd.read_parquet(trained_deployment.features_dir / "daily.parquet")
    today = features.iloc[[-1]]
    states = read_publishing(trained_deployment.home / "output" / "publishing.json")
    with pytest.MonkeyPatch.context() as mp:
        trained_deployment.activate(mp)
        nifty, vix = load_daily(get_settings())
    get_settings.cache_clear()

    def p(name: str, x: np.ndarray) -> float:
        """The champion's probability shrunk by its nightly evidence weight."""
        model = float(load_champion(name, models).predict_proba(x)[0])
        state = states.get(name)
        if state is None:  # forced in by the fixture's operator: unshrunk
            return model
        assert state.published == "model", state.reason
        clim = climatology(name, nifty, vix, features).value
        return state.weight * model + (1 - state.weight) * clim

    assert healthy.trap is not None
    assert healthy.expiry_stress is not None
    assert healthy.buyer_signal is not None
    assert healthy.direction is not None

    assert healthy.trap.score == pytest.approx(p("trap", row_inputs("trap", today)), abs=1e-12)
    assert healthy.expiry_stress.score == pytest.approx(
        p("expiry_stress", row_inputs("expiry_stress", today)), abs=1e-12)
    assert healthy.buyer_signal.spike_probability == pytest.approx(
        p("buyer", row_inputs("buyer", today)), abs=1e-12)
    windows, ends = sequence_inputs("direction", features.iloc[-20:])
    assert ends[-1] == features.index[-1]
    assert healthy.direction.probability_up == pytest.approx(
        p("direction", windows[-1:]), abs=1e-12)
    breach = healthy.breach_probabilities[0]
    row = today[list(MODEL_SPECS["breach"].features)].to_numpy(float)
    args = (np.array([healthy.spot]), np.array([breach.strike]),
            np.array([healthy.vix / 100]), np.array([healthy.expiry.days]))
    # inference scores all strikes in one float32 batch: agreement to float32 precision
    breach_state = states.get("breach")
    w = 1.0 if breach_state is None else breach_state.weight
    clim = climatology("breach", nifty, vix, features)
    strike = np.array([breach.strike])
    for event, value, flag in (("touch", breach.touch, np.zeros(1, bool)),
                               ("close", breach.close_beyond, np.ones(1, bool))):
        model = float(load_champion("breach", models).predict_proba(
            breach_inputs(*args, flag, row))[0])
        expected = w * model + (1 - w) * float(clim.breach(healthy.spot, strike, event)[0])
        assert value == pytest.approx(expected, abs=1e-6)
    for name, field in MODEL_FIELDS.items():  # the weight is in the snapshot
        for prov in _field_provenance(healthy, field):
            named = states.get(name)
            if prov.kind == "model" and named is not None:
                assert prov.evidence_weight == pytest.approx(named.weight)


def test_model_health_passes_on_the_healthy_deployment(deployment_copy: Deployment) -> None:
    health = pipeline.model_health()
    assert health["healthy"] == sorted(MODEL_FIELDS)
    champions = read_registry(deployment_copy.models_dir)["champions"]
    assert health["versions"] == {n: c["version"] for n, c in champions.items()}


# --- broken champions -------------------------------------------------------------------------
def _flip_bytes(folder: Path) -> str:
    path = folder / "model.onnx"
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 16] = bytes(b ^ 0xFF for b in data[middle:middle + 16])
    path.write_bytes(bytes(data))
    return "ChecksumMismatchError"


def _rename_a_feature(folder: Path) -> str:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["features"][-1]["name"] = "feature_from_last_year"
    path.write_text(json.dumps(manifest, indent=2))
    return "ManifestMismatchError"


def _delete_model_file(folder: Path) -> str:
    (folder / "model.onnx").unlink()
    return "ArtifactMissingError"


BREAKAGES = {"corrupt": _flip_bytes, "manifest": _rename_a_feature, "missing": _delete_model_file}


@pytest.mark.parametrize("model", sorted(MODEL_FIELDS))
@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_broken_champion_degrades_only_its_number(
    deployment_copy: Deployment, model: str, breakage: str
) -> None:
    error = BREAKAGES[breakage](deployment_copy.models_dir / model)
    result = pipeline.infer()
    assert result["status"] == "degraded"
    snapshot = read_snapshot(deployment_copy.snapshot_path)
    field = MODEL_FIELDS[model]
    assert snapshot.status == "degraded"
    assert [r.field for r in snapshot.degraded_reasons] == [field]
    assert error in snapshot.degraded_reasons[0].reason
    for prov in _field_provenance(snapshot, field):
        assert isinstance(prov, BaselineProvenance), (field, prov)
        assert error in prov.reason
        assert model in prov.reason
    for other, other_field in MODEL_FIELDS.items():
        if other != model:
            assert {p.kind for p in _field_provenance(snapshot, other_field)} == {"model"}

    with pytest.raises(ArtifactMissingError) as caught:
        pipeline.model_health()
    message = str(caught.value)
    assert f"{model} (" in message
    assert error in message
    assert message.count("Error:") == 1, message  # only the broken champion is named


def test_manifest_mismatch_reason_names_the_feature(deployment_copy: Deployment) -> None:
    _rename_a_feature(deployment_copy.models_dir / "expiry_stress")
    pipeline.infer()
    snapshot = read_snapshot(deployment_copy.snapshot_path)
    (reason,) = snapshot.degraded_reasons
    assert reason.field == "expiry_stress"
    assert "ManifestMismatchError" in reason.reason
    assert "feature_from_last_year" in reason.reason
    assert snapshot.expiry_stress is not None
    assert snapshot.expiry_stress.provenance.kind == "baseline"
    assert snapshot.expiry_stress.calibration.brier is None  # no invented calibration


# --- a failed run keeps the previous snapshot ----------------------------------------------------
def _replace_fails(monkeypatch: pytest.MonkeyPatch, copy: Deployment) -> type[Exception]:
    import aegis.atomic as atomic

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    return SnapshotError


def _features_gone(monkeypatch: pytest.MonkeyPatch, copy: Deployment) -> type[Exception]:
    (copy.features_dir / "daily.parquet").unlink()
    return StoreError


def _snapshot_invalid(monkeypatch: pytest.MonkeyPatch, copy: Deployment) -> type[Exception]:
    import aegis.snapshot.writer as writer

    real = writer.render_snapshot

    def broken(snapshot: Snapshot) -> str:
        real(snapshot)
        raise SnapshotError("snapshot could not be serialised as a valid document: injected")

    import aegis.pipeline.publish as publish

    monkeypatch.setattr(writer, "render_snapshot", broken)
    monkeypatch.setattr(publish, "render_snapshot", broken)  # the publish unit renders itself
    return SnapshotError


FAILURES: dict[str, Callable[[pytest.MonkeyPatch, Deployment], type[Exception]]] = {
    "rename fails": _replace_fails, "no validated features": _features_gone,
    "render fails": _snapshot_invalid,
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_failed_infer_leaves_previous_snapshot(
    deployment_copy: Deployment, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    path = deployment_copy.snapshot_path
    before = path.read_bytes()
    expected = FAILURES[failure](monkeypatch, deployment_copy)
    with pytest.raises(expected):
        pipeline.infer()
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.glob(f".{path.name}*")) == []  # no temp file left


# --- no silent constant ------------------------------------------------------------------------
def test_another_market_gives_other_numbers(
    trained_deployment: Deployment, healthy: Snapshot, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Same champions, another seed's market: trap, stress, hit and spike rates all change."""
    other = trained_deployment.copy_to(tmp_path / "other-seed", seed=trained_deployment.seed + 4)
    shutil.rmtree(other.home / "data")
    (other.home / "output" / "rates.json").unlink()
    other.activate(monkeypatch)
    pipeline.ingest(other.logical_date)
    staged = pipeline.build_features()
    pipeline.validate(staged["run_id"])
    pipeline.recompute_rates()
    assert pipeline.infer()["status"] == "ok"
    snap = read_snapshot(other.snapshot_path)
    assert snap.spot != healthy.spot
    assert healthy.trap is not None
    assert healthy.expiry_stress is not None
    assert healthy.historical_hit_rate is not None
    assert healthy.historical_spike_rate is not None
    assert snap.trap is not None
    assert snap.expiry_stress is not None
    assert snap.historical_hit_rate is not None
    assert snap.historical_spike_rate is not None
    pairs = {
        "trap": (snap.trap.score, healthy.trap.score),
        "expiry_stress": (snap.expiry_stress.score, healthy.expiry_stress.score),
        "hit": (snap.historical_hit_rate.value, healthy.historical_hit_rate.value),
        "spike": (snap.historical_spike_rate.value, healthy.historical_spike_rate.value),
    }
    for name, (a, b) in pairs.items():
        assert abs(a - b) > 1e-6, f"{name} did not change with the market: {a} vs {b}"
    assert snap.historical_hit_rate.n > 30
    for rate in (snap.historical_hit_rate, snap.historical_spike_rate):
        assert rate.n >= 1  # spike: BREAKOUT signals of ~2 walk-forward years (seed 11: 8)
        hits = round(rate.value * rate.n)
        assert rate.value == pytest.approx(hits / rate.n, abs=1e-12)
        assert rate.ci95 == pytest.approx(wilson_interval(hits, rate.n), abs=1e-12)
    assert snap.historical_spike_rate.base_rate != healthy.historical_spike_rate.base_rate


def _refusal(name: str, reason: str, **evidence: float) -> dict[str, object]:
    """A gate-log entry as ``promote_and_push`` writes it: ``name`` refused for ``reason``."""
    from aegis.pipeline.records import GateLogEntry

    entry = GateLogEntry.model_validate({
        "name": name, "promote": False, "reason": reason, "reference": "climatology",
        "p_value": 0.41, "mean_difference": 0.001, "ci95": [-0.001, 0.003], "folds": [],
        "challenger_brier": 0.2, "baseline_brier": 0.26, "climatology_brier": 0.19,
        "climatology_ece": 0.01, "bss_climatology": -0.05, "n": 980, "version": "v-refused",
        "trained_at": "2024-06-14T02:00:00+00:00", **evidence})
    return entry.model_dump(mode="json")


def _without_champion(copy: Deployment, name: str, decision: dict[str, object]) -> None:
    """Remove ``name``'s champion and record the last retrain's gate ``decision`` for it."""
    registry_path = copy.models_dir / "registry.json"
    registry = json.loads(registry_path.read_text())
    del registry["champions"][name]
    registry_path.write_text(json.dumps(registry))
    (copy.home / "output" / "gate.json").write_text(json.dumps({name: decision}))


def test_a_missing_champion_with_an_unreadable_gate_verdict_is_degraded_naming_the_field(
    deployment_copy: Deployment,
) -> None:
    """A gate-log entry without the climatology evidence (an older gate log): no honest
    climatology can be claimed; the number is degraded and the reason names file and field."""
    _without_champion(deployment_copy, "direction", {
        "promote": False, "trained_at": "2024-06-14T02:00:00+00:00",
        "reason": "not promoted: challenger Brier 0.2484 >= baseline 0.2454"})
    pipeline.infer()
    snapshot = read_snapshot(deployment_copy.snapshot_path)
    reasons = {r.field: r.reason for r in snapshot.degraded_reasons}
    assert snapshot.status == "degraded"
    assert "no champion named 'direction'" in reasons["direction"]
    assert "gate.json: gate log wrongly shaped" in reasons["direction"]
    assert "direction.name: Field required" in reasons["direction"]
    assert snapshot.direction is not None
    assert snapshot.direction.provenance.kind == "baseline"
    with pytest.raises(ArtifactMissingError, match="direction.name: Field required"):
        pipeline.model_health()


def test_a_model_the_gate_refused_publishes_climatology_honestly(
    deployment_copy: Deployment,
) -> None:
    """No model beat climatology: climatology with its n, window and the gate's reason; ok."""
    _without_champion(deployment_copy, "trap", _refusal(
        "trap", "not promoted: no model beat climatology and the baseline significantly: p=0.41"))
    pipeline.infer()
    snapshot = read_snapshot(deployment_copy.snapshot_path)
    assert "trap" not in {r.field for r in snapshot.degraded_reasons}
    trap = snapshot.trap
    assert trap is not None
    assert trap.provenance.kind == "empirical"
    assert trap.provenance.name == "climatology"
    assert "no model beat climatology" in (trap.provenance.reason or "")
    assert "last retrain (2024-06-14T02:00:00+00:00)" in (trap.provenance.reason or "")
    assert trap.provenance.n > 100
    assert trap.label == "MEDIUM"
    assert trap.label_cuts is None
    assert trap.calibration.brier == pytest.approx(0.19)
    assert trap.calibration.bss_climatology == 0.0
    assert 0.05 < trap.score < 0.6  # the simulator's settled trap frequency
    # model health: a model the gate refused is published as climatology, not a broken champion
    health = pipeline.model_health()
    assert "trap" in health["climatology"]
    assert "trap" not in health["healthy"]


def test_a_demoted_champion_publishes_climatology_with_the_demotion_reason(
    deployment_copy: Deployment,
) -> None:
    """The nightly live test demoted trap: climatology with the reason, the snapshot ok, the
    champion still in the store; `aegis models list` shows both."""
    from typer.testing import CliRunner

    from aegis.cli import app
    from aegis.models.publishing import Evidence, LiveCheck, decide
    from aegis.pipeline.publishing import publishing_path, write_publishing

    check = LiveCheck(n=80, first="2024-02-01", last="2024-06-13", brier=0.171,
                      brier_climatology=0.158, z=3.1, cusum=15.2, losing=True, clear=False,
                      weight_cap=0.0, cap_n=80)
    evidence = Evidence(weight=0.8, fold_weights=[0.9, 0.8], mean=0.85, sd=0.07, reason="t")
    state = decide("trap", "2024-06-14", gate_passes=True, gate_reason="beats climatology",
                   gate_data_end="2024-06-13", evidence=evidence, check=check, previous=None)
    write_publishing(publishing_path(deployment_copy.home / "output" / "gate.json"),
                     {"trap": state})
    pipeline.infer()
    snapshot = read_snapshot(deployment_copy.snapshot_path)
    assert "trap" not in {r.field for r in snapshot.degraded_reasons}
    trap = snapshot.trap
    assert trap is not None
    assert trap.provenance.kind == "empirical"
    assert trap.provenance.name == "climatology"
    assert (trap.provenance.reason or "").startswith(
        "trap demoted on 2024-06-14: Brier 0.171 vs climatology 0.158 over the last 80 "
        "settled sessions")
    assert trap.label_cuts is None
    assert trap.label == "MEDIUM"
    listed = CliRunner().invoke(app, ["models", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["name"]: r for r in json.loads(listed.stdout)["models"]}
    assert rows["trap"]["published"] == "climatology"
    assert rows["trap"]["demoted_on"] == "2024-06-14"
    assert rows["trap"]["champion"]["version"] == read_registry(
        deployment_copy.models_dir)["champions"]["trap"]["version"]
    assert rows["trap"]["latest_challenger"] is not None
    assert rows["expiry_stress"]["published"] == "model"


def test_assembling_a_snapshot_reads_nothing(deployment_copy: Deployment) -> None:
    """load_inputs + Champions.load read the stores; assemble_snapshot is pure."""
    import shutil
    from datetime import UTC, datetime

    from aegis.config import get_settings
    from aegis.pipeline.inference import Champions, assemble_snapshot, load_inputs
    from aegis.pipeline.paths import gate_log_path

    settings = get_settings()
    inputs = load_inputs(settings)
    champions = Champions.load(settings.resolved_models_dir, gate_log_path(settings))
    shutil.rmtree(settings.resolved_data_dir)  # the market store is gone ...
    shutil.rmtree(settings.resolved_models_dir)  # ... and so is the model store
    now = datetime(2024, 6, 15, 3, 0, tzinfo=UTC)
    first = assemble_snapshot(inputs, champions, now)
    assert first == assemble_snapshot(inputs, champions, now)
    assert first.generated_at == now
    assert first.trap is not None
    assert first.trap.provenance.kind == "model"
