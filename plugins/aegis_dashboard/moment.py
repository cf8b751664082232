"""The moment the page shows, against the moment it is read: the header, freshness, settlement.

A snapshot is the picture of one moment (``as_of``, IST): "as of 14:15 IST, 75 minutes to the
15:30 expiry close". The reader looks at it at another moment (``now``): the market may be open
or closed, the next publishing slot due at a known time, and the snapshot may be fresh or stale
against the schedule (:func:`aegis.market.slots.freshness`), or it may describe an expiry that
has settled since. The time left to the expiry comes from the snapshot's ``expiry.minutes_left``,
``expiry.sessions`` and ``expiry.days`` (the intraday contract) when it carries them; a snapshot
without them gets the page's own count from ``as_of`` and the NSE calendar, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aegis.market.hours import IST
from aegis.market.slots import (
    SESSION_MINUTES,
    expiry_close,
    freshness,
    market_state,
    next_slot,
    sessions_left,
    trading_minutes_between,
)
from aegis_dashboard.dag_pause import PauseStates
from aegis_dashboard.view import Banner
from aegis_dashboard.words import points


@dataclass(frozen=True)
class TimeLeft:
    """Trading minutes, sessions and calendar days from ``as_of`` to the expiry close."""

    minutes: int
    sessions: int
    days: float
    close_at: datetime
    source: str  # "snapshot" | "page" (computed here: the snapshot lacks the fields)


def time_left(pub: Any) -> TimeLeft | None:
    """From the snapshot's expiry fields when present, else computed from ``as_of``."""
    expiry, as_of = pub.get("expiry"), pub.get("as_of")
    if expiry is None or as_of is None:
        return None
    close_at = getattr(expiry, "close_at", None) or expiry_close(expiry.date)
    minutes = getattr(expiry, "minutes_left", None)
    if minutes is not None:
        return TimeLeft(int(round(float(minutes))), int(expiry.sessions), float(expiry.days),
                        close_at, "snapshot")
    days = max((close_at - as_of).total_seconds() / 86400.0, 0.0)
    return TimeLeft(trading_minutes_between(as_of, close_at), sessions_left(as_of, expiry.date),
                    days, close_at, "page")


def _ist(ts: datetime, with_day: bool = True) -> str:
    return ts.astimezone(IST).strftime("%a %d %b %H:%M IST" if with_day else "%H:%M IST")


def _stamp(ts: datetime, now: datetime) -> str:
    """``14:15 IST`` today, ``Fri 03 Jan 15:30 IST`` this year, else with the year."""
    local, today = ts.astimezone(IST), now.astimezone(IST)
    if local.date() == today.date():
        return _ist(ts, with_day=False)
    return _ist(ts) if local.year == today.year else _dated(ts)


def _dated(ts: datetime) -> str:
    """With the year: a stale snapshot may be from another one."""
    return ts.astimezone(IST).strftime("%a %d %b %Y %H:%M IST")


def left_words(left: TimeLeft) -> str:
    """``75 minutes to the 15:30 expiry close`` / ``3 sessions (4.2 days) to the Thu 09 Jan
    15:30 expiry close``."""
    close = left.close_at.astimezone(IST)
    if left.minutes <= 0:
        return f"the {close:%a %d %b} expiry settled at its {close:%H:%M} close"
    if left.minutes <= SESSION_MINUTES and left.sessions <= 1:
        unit = "minute" if left.minutes == 1 else "minutes"
        return f"{left.minutes} {unit} to the {close:%H:%M} expiry close"
    sessions = f"{left.sessions} session" + ("" if left.sessions == 1 else "s")
    return f"{sessions} ({left.days:.1f} days) to the {close:%a %d %b %H:%M} expiry close"


def left_short(left: TimeLeft) -> str:
    """``75 minutes left`` / ``3 sessions, 3.2 days left`` (the headline's expiry cell)."""
    if left.minutes <= 0:
        return "settled"
    if left.minutes <= SESSION_MINUTES and left.sessions <= 1:
        return f"{left.minutes} minutes left"
    return f"{left.sessions} session{'' if left.sessions == 1 else 's'}, {left.days:.1f} days left"


def _change(now_value: float | None, before: float | None, digits: int) -> dict[str, str]:
    if now_value is None or before is None or before <= 0:
        return {"text": "", "dir": ""}
    diff = now_value - before
    return {"text": f"{diff:+,.{digits}f} ({100 * diff / before:+.2f} %)",
            "dir": "up" if diff > 0 else "down" if diff < 0 else ""}


@dataclass(frozen=True)
class Headline:
    """The first screen: what moment this is, the market now, and the numbers a trader reads."""

    moment: str
    market: str
    next_update: str
    spot: str
    spot_change: dict[str, str]
    vix: str
    vix_change: dict[str, str]
    expiry: str
    time_left: str
    settled: bool
    notes: list[str] = field(default_factory=list)


def headline(pub: Any, now: datetime, previous: dict[str, float | None]) -> Headline:
    """``previous``: the last daily close before the snapshot's session of ``nifty`` and
    ``vix`` (from the market store; ``None`` when not known)."""
    as_of, expiry = pub.get("as_of"), pub.get("expiry")
    spot, vix = pub.get("spot"), pub.get("vix")
    left = time_left(pub)
    state = market_state(now)
    notes = []
    settled = expiry is not None and now >= expiry_close(expiry.date)
    stamp = _stamp(as_of, now) if as_of else "an unknown time"
    if left is None:
        moment = f"As of {stamp}"
    elif settled:
        close = expiry_close(expiry.date)
        moment = (f"As of {stamp}; the {close:%a %d %b} expiry these numbers are for has "
                  f"settled since, at its {close:%H:%M} IST close")
    else:
        moment = f"As of {stamp}, {left_words(left)}"
    if left is not None and left.source == "page":
        notes.append("Time left computed by the page from as_of and the NSE calendar: this "
                     "snapshot does not carry expiry.minutes_left.")
    return Headline(
        moment=moment, market=state.words(), next_update=_next_words(now),
        spot=points(spot, 2), spot_change=_change(spot, previous.get("nifty"), 2),
        vix=f"{vix:.2f}" if vix else "—", vix_change=_change(vix, previous.get("vix"), 2),
        expiry=expiry.date.strftime("%a %d %b %Y") if expiry else "unknown",
        time_left=("settled" if settled else left_short(left)) if left else "unknown",
        settled=settled, notes=notes)


def _next_words(now: datetime) -> str:
    """``14:45 IST (in 25 minutes)`` / ``Mon 08 Jan 09:15 IST``."""
    due = next_slot(now).astimezone(IST)
    if due.date() != now.astimezone(IST).date():
        return _ist(due)
    minutes = int((due - now).total_seconds() // 60)
    return f"{due:%H:%M} IST (in {minutes} minute{'' if minutes == 1 else 's'})"


def freshness_banner(pub: Any, now: datetime, pauses: PauseStates | None) -> Banner | None:
    """Stale against the schedule, or a publishing DAG paused: nothing new will come."""
    as_of = pub.get("as_of")
    items = []
    paused = pauses.publishing_paused if pauses is not None else []
    for dag in paused:
        items.append(f"{dag} is paused in Airflow: no snapshot will be published until it is "
                     "unpaused (Airflow creates DAGs paused).")
    if as_of is None:
        return Banner("stale", "Stale: the snapshot's time (as_of) is unreadable: its age is "
                               "unknown.", items)
    fresh = freshness(as_of, now)
    if not fresh.stale and not paused:
        return None
    age = _age(now - as_of)
    if fresh.stale:
        due = fresh.due_slot.astimezone(IST)
        headline_text = (f"Stale: these numbers are as of {_dated(as_of)}, {age} old. The "
                         f"{_ist(due)} update was due and nothing newer was published.")
        items.append("Check the aegis_market_ingest and aegis_inference runs in the operator's "
                     "corner below.")
    else:
        headline_text = (f"Stale from now on: these numbers are as of {_dated(as_of)}, but "
                         f"{' and '.join(paused)} {'is' if len(paused) == 1 else 'are'} paused, "
                         "so no update will come.")
    return Banner("stale", headline_text, items)


def settled_banner(pub: Any, now: datetime, settlement: float | None) -> Banner | None:
    """After the expiry close: the expiry-bound numbers are settled, not pending."""
    expiry = pub.get("expiry")
    if expiry is None or now < expiry_close(expiry.date):
        return None
    close = expiry_close(expiry.date)
    text = (f"Settled: the {close:%a %d %b} expiry closed at {close:%H:%M} IST. The safe range, "
            "breach probabilities, trap and expiry stress below were forecasts for it; they are "
            "no longer pending.")
    items = []
    sr = pub.get("safe_range")
    if settlement is not None:
        items.append(f"NIFTY settled at {points(settlement, 2)}.")
        if sr is not None:
            inside = sr.lower <= settlement <= sr.upper
            items.append(f"The safe range {points(sr.lower)} – {points(sr.upper)} "
                         + ("held: the close was inside it." if inside else
                            "did not hold: the close was outside it."))
    else:
        items.append("The expiry's closing price is not in the market store yet.")
    return Banner("settled", text, items)


def _age(delta: Any) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 2:
        return f"{max(hours * 60, 0):.0f} minutes"
    if hours < 48:
        return f"{hours:.0f} hours"
    days = hours / 24
    return f"{days:.0f} days" if days < 60 else f"{days / 30.44:.0f} months"


__all__ = ["Headline", "TimeLeft", "freshness_banner", "headline", "left_short", "left_words",
           "settled_banner", "time_left"]
