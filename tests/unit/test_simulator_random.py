"""Keyed random streams of the simulator: pure functions of their keys, standard normal."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from aegis.market.sources.simulator.streams import Streams, day_generator, hashed_normal


def test_hashed_normal_is_a_pure_function_of_its_keys() -> None:
    strikes = np.arange(20_000, 30_000, 50)
    first = hashed_normal(7, 3000, 739_000, strikes, 0)
    np.testing.assert_array_equal(first, hashed_normal(7, 3000, 739_000, strikes, 0))
    # one strike alone draws what it drew inside the ladder
    assert hashed_normal(7, 3000, 739_000, strikes[17], 0) == first[17]
    assert not np.allclose(first, hashed_normal(8, 3000, 739_000, strikes, 0))
    assert not np.allclose(first, hashed_normal(7, 3000, 739_000, strikes, 1))


def test_hashed_normal_is_standard_normal() -> None:
    draws = hashed_normal(1, 5, np.arange(200_000))
    assert abs(draws.mean()) < 0.01
    assert abs(draws.std() - 1) < 0.01
    assert stats.kstest(draws, "norm").pvalue > 0.01
    # neighbouring keys are not correlated
    assert abs(np.corrcoef(draws[:-1], draws[1:])[0, 1]) < 0.01


def test_streams_are_prefix_consistent() -> None:
    short = Streams(3)("shock").standard_t(6.0, 500)
    long = Streams(3)("shock").standard_t(6.0, 5_000)
    np.testing.assert_array_equal(short, long[:500])
    assert not np.allclose(Streams(3)("gap").standard_normal(50),
                           Streams(3)("shock").standard_normal(50))


def test_day_generators_differ_by_day_and_kind() -> None:
    day = pd.Timestamp("2024-06-28")
    a = day_generator(1, 1000, day).random(5)
    np.testing.assert_array_equal(a, day_generator(1, 1000, day).random(5))
    assert not np.allclose(a, day_generator(1, 1000, day + pd.Timedelta(days=1)).random(5))
    assert not np.allclose(a, day_generator(1, 2000, day).random(5))
