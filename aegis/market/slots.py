"""The publishing schedule against the market clock: slots, session state, freshness.

``aegis_market_ingest`` runs at the 30-minute slots of every NSE session (09:15, 09:45, ...,
15:15 and the 15:30 close, IST; ``dags/aegis_market_ingest.py``'s crons) and each run publishes
a snapshot of the bars before its slot. So a snapshot is *fresh* at ``now`` when it holds data
after the slot before the last one that was due: at slot ``s`` the chain ingests the bars of
(``previous slot``, ``s``), so the snapshot published for ``s`` has ``as_of`` at or after the
previous slot (the 09:15 slot has no bars yet: its ``as_of`` is the previous session's 15:30
close, which is its previous slot). A slot counts as due once :data:`PUBLISH_GRACE` has passed
after it (the chain takes seconds; Airflow's scheduling and retries take minutes).

Pure functions of the moment handed in (aware datetimes, any zone; answers in IST): the page,
``/api/health``, the model-health DAG and ``aegis doctor`` all call these, so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final, Literal

from aegis.market.hours import IST, SESSION_CLOSE, SESSION_OPEN

SLOT_TIMES: Final = (*(time(9 + (15 + 30 * i) // 60, (15 + 30 * i) % 60) for i in range(13)),
                     SESSION_CLOSE)
"""IST wall-clock times of the publishing slots of a session: 09:15, 09:45, ..., 15:15, 15:30."""
PUBLISH_GRACE: Final = timedelta(minutes=15)
"""How long after a slot its snapshot may take before the published one counts as stale."""
SESSION_MINUTES: Final = 375
"""Trading minutes of a full NSE session (09:15-15:30)."""

SessionState = Literal["pre_open", "open", "closed", "holiday"]


def _is_session(day: date) -> bool:
    from aegis.market.calendar import is_session

    return bool(is_session(day))


def _at(day: date, t: time) -> datetime:
    return datetime.combine(day, t, IST)


def next_session_day(day: date, *, inclusive: bool = False) -> date:
    """The first NSE session on or after (``inclusive``) or strictly after ``day``."""
    d = day if inclusive else day + timedelta(days=1)
    for _ in range(30):
        if _is_session(d):
            return d
        d += timedelta(days=1)
    raise ValueError(f"no NSE session in the 30 days after {day}")  # pragma: no cover


def previous_session_day(day: date, *, inclusive: bool = False) -> date:
    """The last NSE session on or before (``inclusive``) or strictly before ``day``."""
    d = day if inclusive else day - timedelta(days=1)
    for _ in range(30):
        if _is_session(d):
            return d
        d -= timedelta(days=1)
    raise ValueError(f"no NSE session in the 30 days before {day}")  # pragma: no cover


@dataclass(frozen=True)
class MarketState:
    """Where the market is at ``now`` (IST): the session state and the next open."""

    now: datetime
    state: SessionState
    session: date | None  # today, when today is a session
    next_open: datetime  # the next session's 09:15 strictly after now
    closes_at: datetime | None  # today's 15:30 when today is a session

    def words(self) -> str:
        """``open, closes 15:30 IST`` / ``closed; next session Mon 08 Jan 09:15 IST`` ..."""
        nxt = f"next session {self.next_open:%a %d %b %H:%M} IST"
        if self.state == "open" and self.closes_at is not None:
            return f"open, closes {self.closes_at:%H:%M} IST"
        if self.state == "pre_open":
            return f"pre-open; opens {self.next_open:%H:%M} IST"
        if self.state == "holiday":
            return f"closed for an NSE holiday; {nxt}"
        return f"closed; {nxt}"


def market_state(now: datetime) -> MarketState:
    """The session state at ``now``: ``open`` from 09:15 to 15:30 IST of a session, ``pre_open``
    before 09:15 of one, ``closed`` after its close or on a weekend, ``holiday`` on a weekday the
    exchange is shut."""
    local = now.astimezone(IST)
    today = local.date()
    if _is_session(today):
        opens, closes = _at(today, SESSION_OPEN), _at(today, SESSION_CLOSE)
        if local < opens:
            return MarketState(local, "pre_open", today, opens, closes)
        state: SessionState = "open" if local < closes else "closed"
        return MarketState(local, state, today,
                           _at(next_session_day(today), SESSION_OPEN), closes)
    state = "holiday" if today.weekday() < 5 else "closed"
    return MarketState(local, state, None, _at(next_session_day(today), SESSION_OPEN), None)


def session_slots(day: date) -> list[datetime]:
    """The publishing slots of session ``day`` (IST aware)."""
    return [_at(day, t) for t in SLOT_TIMES]


def next_slot(now: datetime) -> datetime:
    """The next publishing slot strictly after ``now``: when the next update is due."""
    local = now.astimezone(IST)
    day = local.date()
    if _is_session(day):
        later = [s for s in session_slots(day) if s > local]
        if later:
            return later[0]
    return session_slots(next_session_day(day))[0]


def last_slot(now: datetime) -> datetime:
    """The latest publishing slot at or before ``now``."""
    local = now.astimezone(IST)
    day = local.date()
    if _is_session(day):
        earlier = [s for s in session_slots(day) if s <= local]
        if earlier:
            return earlier[-1]
    return session_slots(previous_session_day(day))[-1]


def previous_slot(slot: datetime) -> datetime:
    """The slot before ``slot`` (the previous session's 15:30 close before a 09:15)."""
    return last_slot(slot - timedelta(seconds=1))


@dataclass(frozen=True)
class Freshness:
    """Whether a snapshot of ``as_of`` is what the schedule promises at ``now``."""

    stale: bool
    due_slot: datetime  # the last slot whose snapshot is due (grace passed)
    needs_since: datetime  # a fresh snapshot has as_of at or after this
    reason: str  # "" when fresh


def freshness(as_of: datetime, now: datetime, grace: timedelta = PUBLISH_GRACE) -> Freshness:
    """Stale when ``as_of`` is before the slot preceding the last due slot (see module doc)."""
    due = last_slot(now.astimezone(IST) - grace)
    needs = previous_slot(due)
    stamp = as_of.astimezone(IST)
    if stamp >= needs:
        return Freshness(False, due, needs, "")
    reason = (f"the snapshot is as of {stamp:%a %d %b %H:%M} IST, but the {due:%a %d %b %H:%M} "
              f"IST slot was due (grace {int(grace.total_seconds() // 60)} minutes) and should "
              f"have published data after {needs:%a %d %b %H:%M} IST")
    return Freshness(True, due, needs, reason)


def trading_minutes_between(start: datetime, end: datetime) -> int:
    """NSE trading minutes (09:15-15:30 of each session) from ``start`` to ``end``."""
    a, b = start.astimezone(IST), end.astimezone(IST)
    if b <= a:
        return 0
    total = 0.0
    day = a.date()
    while day <= b.date():
        if _is_session(day):
            lo = max(a, _at(day, SESSION_OPEN))
            hi = min(b, _at(day, SESSION_CLOSE))
            if hi > lo:
                total += (hi - lo).total_seconds() / 60
        day += timedelta(days=1)
    return int(round(total))


def sessions_left(t: datetime, expiry: date) -> int:
    """Sessions from ``t`` to ``expiry`` counting today's when it has not closed yet."""
    local = t.astimezone(IST)
    day = local.date()
    count = 0
    if _is_session(day) and local < _at(day, SESSION_CLOSE) and day <= expiry:
        count += 1
    d = day + timedelta(days=1)
    while d <= expiry:
        count += int(_is_session(d))
        d += timedelta(days=1)
    return count


def expiry_close(expiry: date) -> datetime:
    """The expiry's settlement moment: 15:30 IST of the expiry day."""
    return _at(expiry, SESSION_CLOSE)


__all__ = ["PUBLISH_GRACE", "SESSION_MINUTES", "SLOT_TIMES", "Freshness", "MarketState",
           "SessionState", "expiry_close", "freshness", "last_slot", "market_state",
           "next_session_day", "next_slot", "previous_session_day", "previous_slot",
           "session_slots", "sessions_left", "trading_minutes_between"]
