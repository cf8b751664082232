"""The settings read their own ``AEGIS_`` variables: prefix, case, precedence, bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from aegis.config import Settings, environment_values
from aegis.errors import ConfigurationError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.upper().startswith("AEGIS_"):
            monkeypatch.delenv(key)


def test_defaults_without_the_environment() -> None:
    settings = Settings()
    assert (settings.home, settings.seed, settings.source) == (Path("var"), 7, "simulator")
    assert settings.model_fields_set == set()


def test_variables_are_read_typed_and_count_as_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AEGIS_HOME", "/srv/aegis")
    monkeypatch.setenv("AEGIS_SEED", "11")
    monkeypatch.setenv("AEGIS_GIT_COMMIT_MODELS", "false")
    monkeypatch.setenv("AEGIS_CLOCK", "2023-03-29T14:15+05:30")
    monkeypatch.setenv("AEGIS_S3_SECRET_ACCESS_KEY", "s3cr3t")
    monkeypatch.setenv("AEGIS_S3_REGION", "ap-south-1")
    settings = Settings()
    assert settings.home == Path("/srv/aegis")
    assert settings.seed == 11
    assert settings.git_commit_models is False
    assert settings.clock is not None
    assert settings.clock.isoformat() == "2023-03-29T14:15:00+05:30"
    assert settings.s3_secret_access_key is not None
    assert settings.s3_secret_access_key.get_secret_value() == "s3cr3t"
    assert "s3cr3t" not in repr(settings)
    assert {"home", "seed", "s3_region"} <= settings.model_fields_set


def test_keywords_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AEGIS_SEED", "11")
    monkeypatch.setenv("AEGIS_HOME", "/srv/aegis")
    settings = Settings(seed=3)
    assert (settings.seed, settings.home) == (3, Path("/srv/aegis"))


def test_the_name_after_the_prefix_is_read_in_any_case() -> None:
    fields = Settings.model_fields
    assert environment_values({"aegis_seed": "5", "Aegis_Home": "h"}, fields) == {
        "seed": "5", "home": "h"}
    assert environment_values({"aegis_seed": "5", "AEGIS_SEED": "6"}, fields) == {"seed": "6"}


def test_unknown_and_unprefixed_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AEGIS_NO_SUCH_SETTING", "x")
    monkeypatch.setenv("SEED", "99")
    monkeypatch.setenv("AEGIS_TIME_SCHEDULES", "off")
    assert Settings().seed == 7


def test_a_bad_variable_is_named_with_what_was_expected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AEGIS_SEED", "seven")
    monkeypatch.setenv("AEGIS_SOURCE", "csv")
    with pytest.raises(ConfigurationError) as bad:
        Settings()
    words = str(bad.value)
    assert "AEGIS_SEED='seven'" in words
    assert "valid integer" in words
    assert "AEGIS_SOURCE='csv'" in words
    assert "'simulator', 'history' or 'live'" in words


def test_a_bound_names_the_variable_or_the_keyword(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AEGIS_RETENTION_DAYS", "0")
    with pytest.raises(ConfigurationError, match=r"AEGIS_RETENTION_DAYS='0': .*greater than"):
        Settings()
    with pytest.raises(ConfigurationError, match=r"the keyword seed=-1: .*greater than"):
        Settings(seed=-1)


def test_a_bad_value_on_the_command_line_is_one_line_and_exit_2(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from aegis import cli

    monkeypatch.setenv("AEGIS_SAFE_RANGE_CONFIDENCE", "2")
    monkeypatch.setattr("sys.argv", ["aegis", "infer", "--no-table"])
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("aegis: error: bad setting: AEGIS_SAFE_RANGE_CONFIDENCE='2'")
    assert len(err.splitlines()) == 1
