"""Hyper-parameters live in aegis/params.yaml, are validated, and reach the estimators."""

from __future__ import annotations

from pathlib import Path

import pytest

from aegis.config import Settings
from aegis.errors import ConfigurationError
from aegis.models.walkforward import make_estimator
from aegis.params import PARAMS_FILE, load_params


def test_the_packaged_file_is_valid_and_used_by_default():
    params = load_params()
    assert PARAMS_FILE.name == "params.yaml"
    assert Settings().params() == params
    trap = make_estimator("trap")
    assert tuple(trap.C_grid) == params.models.trap.C_grid
    assert make_estimator("direction").epochs == params.models.direction.epochs


def test_a_params_file_from_the_settings_changes_the_estimators(tmp_path: Path):
    text = PARAMS_FILE.read_text().replace("hidden: 32", "hidden: 8")
    custom = tmp_path / "params.yaml"
    custom.write_text(text)
    params = Settings(params_file=custom).params()
    assert make_estimator("buyer", params=params).hidden == 8


@pytest.mark.parametrize(("old", "new", "where"), [
    ("alpha: 0.05", "alpha: 0.9", "gate.alpha"),
    ("epochs: 6", "epochs: six", "models.direction.epochs"),
    ("  breach:", "  breech:", "models.breech"),
])
def test_a_bad_value_names_the_file_and_the_key(tmp_path: Path, old, new, where):
    bad = tmp_path / "params.yaml"
    bad.write_text(PARAMS_FILE.read_text().replace(old, new))
    with pytest.raises(ConfigurationError, match=where) as err:
        load_params(bad)
    assert str(bad) in str(err.value)
