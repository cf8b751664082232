"""Daily NIFTY-like returns and an India-VIX-like index: the simulator's engine.

Returns follow a GJR-GARCH(1,1) with Student-t innovations around a slowly moving long-run
variance: volatility clusters, negative returns raise it more than positive ones (leverage), and
rare crisis episodes (a crash day followed by a decaying jump in the long-run variance) give the
fat left tail and the high-volatility years real NIFTY had (2008, 2020).

The VIX is the market's 21-session forecast of that variance, annualised, times a volatility
risk premium that is itself mean-reverting and jumps up on sell-offs. So it leads realised
volatility (it knows the conditional variance of tomorrow) and sits above it on average.

Units: log returns per session; variances per session; VIX in annualised percent.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import lgamma

import numpy as np

from aegis.market.sources.simulator.streams import Streams

#: Sessions per year used to annualise (the convention of the realised-volatility features).
ANNUALISATION = 252.0


@dataclass(frozen=True)
class DailyParams:
    """Parameters of the daily engine (fitted by eye to NIFTY 2000-2022 and India VIX 2009-2022).

    Attributes
    ----------
    drift : float
        Expected arithmetic return per year (fraction).
    base_vol : float
        Annualised long-run volatility in calm times (fraction).
    slow_log_var_sd : float
        Stationary standard deviation of the slow factor in log variance.
    slow_half_life : float
        Half-life of the slow factor, sessions.
    alpha, gamma, beta : float
        GJR-GARCH coefficients (gamma weights squared negative shocks only).
    max_vol : float
        Ceiling of the conditional volatility, annualised (NIFTY's worst months, 2008 and
        March 2020, realised about 80%).
    t_df : float
        Degrees of freedom of the Student-t innovations (standardised to unit variance).
    t_skew : float
        Fernandez-Steel skew of the innovations (< 1: heavier left tail).
    max_move : float
        Largest absolute log return of a session (NSE's market-wide circuit breakers halt
        trading at 10/15/20%; NIFTY's worst day since 2000 was -13%).
    max_shock : float
        Innovations are clipped to +-max_shock standard deviations (NIFTY's worst day since
        2000, 2004-05-17, was about -8 of its then conditional deviations).
    crisis_rate : float
        Probability per session that a crisis starts.
    crisis_log_var : tuple of float
        Range of the jump in log long-run variance when a crisis starts (uniform).
    crisis_half_life : float
        Half-life of the crisis jump, sessions.
    crash_sd : tuple of float
        Range of the extra negative shock (in standard deviations) on a crisis's first day.
    gap_share : float
        Share of a session's variance that arrives overnight (open versus previous close).
    vix_premium : float
        Median ratio of VIX to the model volatility forecast.
    vix_floor_vol : float
        Volatility (annualised fraction) added in quadrature to the forecast: option sellers
        never quote the VIX down to the realised level of the calmest weeks.
    vix_premium_sd : float
        Stationary standard deviation of the log premium.
    vix_premium_half_life : float
        Half-life of the log premium, sessions.
    vix_return_corr : float
        Correlation of the premium's shocks with the return shocks (negative: VIX spikes on
        sell-offs).
    vix_horizon : int
        Forecast horizon of the VIX, sessions (30 calendar days).
    vix_intraday_vol : float
        Standard deviation of the VIX's log path within a session (sets its high-low range).
    """

    drift: float = 0.12
    base_vol: float = 0.16
    slow_log_var_sd: float = 0.40
    slow_half_life: float = 180.0
    alpha: float = 0.005
    gamma: float = 0.10
    beta: float = 0.93
    max_vol: float = 0.70
    t_df: float = 6.0
    t_skew: float = 0.9
    max_shock: float = 8.0
    max_move: float = 0.13
    crisis_rate: float = 1.0 / (6.0 * 248.0)
    crisis_log_var: tuple[float, float] = (0.6, 1.3)
    crisis_half_life: float = 50.0
    crash_sd: tuple[float, float] = (1.0, 2.0)
    gap_share: float = 0.10
    vix_premium: float = 0.97
    vix_floor_vol: float = 0.08
    vix_premium_sd: float = 0.18
    vix_premium_half_life: float = 90.0
    vix_return_corr: float = -0.20
    vix_horizon: int = 21
    vix_intraday_vol: float = 0.075

    @property
    def persistence(self) -> float:
        """GARCH persistence ``alpha + gamma/2 + beta`` (per session)."""
        return self.alpha + self.gamma / 2.0 + self.beta


@dataclass(frozen=True)
class DailyPaths:
    """One simulated history, arrays of length ``n`` (sessions), log prices relative to start.

    Attributes
    ----------
    log_open, log_close : ndarray
        Log price at the open and the close.
    session_var : ndarray
        Variance of the open-to-close log return (per session) that the intraday path uses.
    variance : ndarray
        Conditional variance of the close-to-close return, per session.
    vix_open, vix_high, vix_low, vix_close : ndarray
        VIX in annualised percent.
    volume_log : ndarray
        Log of the session's traded volume (shares), before the level is set.
    """

    log_open: np.ndarray
    log_close: np.ndarray
    session_var: np.ndarray
    variance: np.ndarray
    vix_open: np.ndarray
    vix_high: np.ndarray
    vix_low: np.ndarray
    vix_close: np.ndarray
    volume_log: np.ndarray


def recursive_filter(shocks: np.ndarray, phi: float) -> np.ndarray:
    """``y[t] = phi * y[t-1] + shocks[t]`` with ``y[-1] = 0`` (an AR(1) filter)."""
    out = np.empty(len(shocks))
    y = 0.0
    for t, shock in enumerate(shocks.tolist()):
        y = phi * y + shock
        out[t] = y
    return out


def _ar1(rng: np.random.Generator, n: int, half_life: float, sd: float) -> np.ndarray:
    """Stationary Gaussian AR(1) of length ``n`` with the given half-life and sd."""
    phi = 0.5 ** (1.0 / half_life)
    draws = rng.standard_normal(n)
    shocks = draws * sd * np.sqrt(1.0 - phi * phi)
    shocks[0] = draws[0] * sd  # start in the stationary law
    return recursive_filter(shocks, phi)


def standard_t(rng: np.random.Generator, df: float, size: int | tuple[int, ...]) -> np.ndarray:
    """Student-t draws scaled to unit variance (``df > 2``)."""
    return rng.standard_t(df, size) * np.sqrt((df - 2.0) / df)


def skewed_t(
    magnitude_rng: np.random.Generator,
    sign_rng: np.random.Generator,
    df: float,
    skew: float,
    n: int,
) -> np.ndarray:
    """Fernandez-Steel skewed Student-t draws, standardised to mean 0 and variance 1.

    ``skew`` < 1 stretches the left tail (crashes are larger than rallies); 1 is symmetric.
    Magnitudes and signs come from two generators so that draw *i* does not depend on ``n``.
    """
    magnitude = np.abs(magnitude_rng.standard_t(df, n))
    positive = sign_rng.random(n) < skew**2 / (1.0 + skew**2)
    draws = np.where(positive, magnitude * skew, -magnitude / skew)
    # moments of the skewed law from the absolute moments of the t
    m1 = (
        2.0 * np.sqrt(df) * np.exp(lgamma((df + 1) / 2) - lgamma(df / 2))
        / (np.sqrt(np.pi) * (df - 1.0))
    )
    m2 = df / (df - 2.0)
    norm = skew + 1.0 / skew
    mean = m1 * (skew**2 - 1.0 / skew**2) / norm
    second = m2 * (skew**3 + 1.0 / skew**3) / norm
    return np.asarray((draws - mean) / np.sqrt(second - mean * mean))


def _long_run_variance(streams: Streams, n: int, p: DailyParams) -> tuple[
    np.ndarray, np.ndarray
]:
    """Long-run variance per session and the crash-day flags (crisis starts)."""
    slow = _ar1(streams("slow"), n, p.slow_half_life, p.slow_log_var_sd)
    starts = streams("crisis_start").random(n) < p.crisis_rate
    jumps = np.where(starts, streams("crisis_size").uniform(*p.crisis_log_var, n), 0.0)
    decay = 0.5 ** (1.0 / p.crisis_half_life)
    crisis = recursive_filter(jumps, decay)
    # centre the slow factor so that exp(slow) averages one: base_vol stays the calm level
    log_var = np.log(p.base_vol**2 / ANNUALISATION) + slow - p.slow_log_var_sd**2 / 2 + crisis
    return np.exp(log_var), starts


def _garch(
    z: np.ndarray, long_run: np.ndarray, p: DailyParams
) -> tuple[np.ndarray, np.ndarray]:
    """GJR-GARCH recursion: variance (length n+1, the last one tomorrow's) and shocks."""
    n = len(z)
    omega_scale = 1.0 - p.persistence
    variance = np.empty(n + 1)
    shocks = np.empty(n)
    h = float(long_run[0])
    zs, lr = z.tolist(), long_run.tolist()
    lr.append(lr[-1])
    alpha, gamma, beta = p.alpha, p.gamma, p.beta
    limit = p.max_move
    cap = p.max_vol**2 / ANNUALISATION
    for t in range(n):
        variance[t] = h
        e = min(max(h**0.5 * zs[t], -limit), limit)
        shocks[t] = e
        leverage = gamma if e < 0.0 else 0.0
        h = min(lr[t + 1] * omega_scale + (alpha + leverage) * e * e + beta * h, cap)
    variance[n] = h
    return variance, shocks


def bridge_extremes(
    rng: np.random.Generator, move: np.ndarray, var: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Maximum and minimum of Brownian bridges from 0 to ``move`` with total variance ``var``.

    Exact marginal draws: ``max = (d + sqrt(d^2 - 2 var ln U)) / 2`` (and the mirror image for
    the minimum), so ``max >= max(0, d)`` and ``min <= min(0, d)`` always hold.
    """
    u = 1.0 - rng.random((len(move), 2))  # in (0, 1]; row i uses draws 2i, 2i+1 only
    return extremes_from_uniforms(u[:, 0], u[:, 1], move, var)


def extremes_from_uniforms(
    u_high: np.ndarray, u_low: np.ndarray, move: np.ndarray, var: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`bridge_extremes` with the uniforms (in (0, 1]) given."""
    high = (move + np.sqrt(move * move - 2.0 * var * np.log(u_high))) / 2.0
    low = (move - np.sqrt(move * move - 2.0 * var * np.log(u_low))) / 2.0
    return high, low


def simulate_daily(streams: Streams, n: int, params: DailyParams) -> DailyPaths:
    """Simulate ``n`` sessions of NIFTY-like prices and the matching VIX.

    Parameters
    ----------
    streams
        The seed's named generators; session *i*'s values do not depend on ``n``.
    n
        Number of sessions (>= 2).
    params
        Engine parameters.
    """
    p = params
    long_run, crash_days = _long_run_variance(streams, n, p)
    z = skewed_t(streams("shock"), streams("shock_sign"), p.t_df, p.t_skew, n)
    z = np.clip(z, -p.max_shock, p.max_shock)
    crash = streams("crash").uniform(*p.crash_sd, n)
    z = np.where(crash_days, np.minimum(z, 0.0) - crash, z)
    variance, shocks = _garch(z, long_run, p)

    mean = p.drift / ANNUALISATION - variance[:n] / 2.0
    returns = mean + shocks
    # overnight gap: a share of the session's shock plus its own noise, so var(gap) = f * h
    f = p.gap_share
    gap_noise = streams("gap").standard_normal(n)
    gap = mean * f + f * shocks + np.sqrt(f * (1.0 - f) * variance[:n]) * gap_noise
    log_close = np.cumsum(returns)
    prev_close = np.concatenate([[0.0], log_close[:-1]])
    log_open = prev_close + gap
    session_var = (1.0 - f) * variance[:n]

    vix_close = _vix_close(streams("vix_premium"), z, variance, long_run, p)
    vix_open, vix_high, vix_low = _vix_bars(streams("vix_open"), streams("vix_range"), vix_close, p)

    volume_noise = _ar1(streams("volume"), n, 20.0, 0.25)
    volume_log = volume_noise + 0.5 * (np.abs(z) - np.sqrt(2.0 / np.pi))
    return DailyPaths(
        log_open=log_open,
        log_close=log_close,
        session_var=session_var,
        variance=variance[:n],
        vix_open=vix_open,
        vix_high=vix_high,
        vix_low=vix_low,
        vix_close=vix_close,
        volume_log=volume_log,
    )


def _vix_close(
    rng: np.random.Generator,
    z: np.ndarray,
    variance: np.ndarray,
    long_run: np.ndarray,
    p: DailyParams,
) -> np.ndarray:
    """VIX close: the 21-session variance forecast (known at the close) times the premium."""
    n = len(z)
    k = p.vix_horizon
    pers = p.persistence
    weight = (1.0 - pers**k) / (k * (1.0 - pers))
    tomorrow = variance[1 : n + 1]
    forecast = long_run + (tomorrow - long_run) * weight
    model_vol = np.sqrt(forecast * ANNUALISATION + p.vix_floor_vol**2)

    phi = 0.5 ** (1.0 / p.vix_premium_half_life)
    rho = p.vix_return_corr
    innov = rho * z + np.sqrt(1.0 - rho * rho) * rng.standard_normal(n)
    shocks = innov * p.vix_premium_sd * np.sqrt(1.0 - phi * phi)
    shocks[0] = innov[0] * p.vix_premium_sd
    log_premium = recursive_filter(shocks, phi)
    return 100.0 * model_vol * p.vix_premium * np.exp(log_premium)


def _vix_bars(
    open_rng: np.random.Generator, range_rng: np.random.Generator, close: np.ndarray,
    p: DailyParams,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """VIX open, high and low around the closes: the open carries part of the day's move."""
    n = len(close)
    log_close = np.log(close)
    prev = np.concatenate([[log_close[0]], log_close[:-1]])
    log_open = prev + 0.4 * (log_close - prev) + 0.02 * open_rng.standard_normal(n)
    var = np.full(n, p.vix_intraday_vol**2)
    up, down = bridge_extremes(range_rng, log_close - log_open, var)
    return np.exp(log_open), np.exp(log_open + up), np.exp(log_open + down)


def daily_extremes(streams: Streams, paths: DailyPaths) -> tuple[np.ndarray, np.ndarray]:
    """Log high and low of every session from its open, close and intraday variance."""
    move = paths.log_close - paths.log_open
    up, down = bridge_extremes(streams("range"), move, paths.session_var)
    return paths.log_open + up, paths.log_open + down
