"""The moment a snapshot is of: the publish time in IST, the session state, the expiry, time left.

DESIGN.md: the snapshot is a pure function of the moment ``t`` (IST), the inputs known at ``t``
and what the nightly retrain computed. :func:`moment_at` builds the moment once, at the edge;
everything below reads it (nothing asks the clock).

Time left to the expiry close (15:30 IST of the expiry session) is measured three ways:

- ``days``: calendar days (fractional) -- India VIX is quoted on calendar time, so the variance
  the premium pays for is ``sigma^2 * days/365`` (trap and stress);
- ``minutes_left``: trading minutes of the sessions still ahead (the rest of today's 375-minute
  session, then 375 per later session up to and including the expiry);
- ``tau``: trading time in years of 252 sessions: each later session counts 1 (its overnight
  gap included) and today's remaining minutes ``(minutes left / 375) * (1 - g)``, ``g`` the
  share of a close-to-close session's variance the overnight gap carries (estimated from the
  daily history, :func:`aegis.features.moment.overnight_share`). Before today's open the
  session still ahead counts 1: its gap has not happened yet. The safe range and the breach
  probabilities use ``tau``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from aegis.market.hours import IST, SESSION_CLOSE, SESSION_OPEN, session_close

SESSION_MINUTES = 375.0
"""Minutes of NSE's normal session, 09:15-15:30 IST."""

SESSIONS_PER_YEAR = 252.0

SessionState = Literal["pre_open", "open", "closed", "holiday"]
"""``pre_open``: a session day before 09:15; ``open``: 09:15-15:30 of a session day; ``closed``:
after 15:30 of a session day, or a weekend; ``holiday``: a weekday on which NSE does not trade."""


@dataclass(frozen=True)
class Moment:
    """The moment ``at`` and the expiry its numbers are for.

    Attributes
    ----------
    at : the publish time (aware, IST).
    state : the session state at ``at``.
    today : ``at``'s IST calendar date.  today_is_session : whether NSE trades on it.
    last_closed : the last session whose 15:30 close is at or before ``at``.
    next_session : the first session whose close is after ``at`` (today's while it is open).
    expiry : the first weekly expiry whose close is after ``at`` (the exchange calendar's).
    expiry_close : 15:30 IST on ``expiry``.
    determination : how the expiry was determined (:func:`~aegis.market.calendar.
        expiry_determination`: source, assumed, reason).
    later_sessions : sessions after today up to and including the expiry.
    today_minutes_left : trading minutes of today's session still ahead (0..375).
    """

    at: datetime
    state: SessionState
    today: date
    today_is_session: bool
    last_closed: date
    next_session: date
    expiry: date
    expiry_close: datetime
    determination: dict[str, Any]
    later_sessions: int
    today_minutes_left: float

    @property
    def days(self) -> float:
        """Calendar days from ``at`` to the expiry close (fractional, >= 0)."""
        return max((self.expiry_close - self.at).total_seconds() / 86400.0, 0.0)

    @property
    def in_session(self) -> bool:
        """09:15 <= t < 15:30 of a session day: the session's bars are still coming."""
        return self.state == "open"

    @property
    def sessions(self) -> int:
        """Sessions left to the expiry close, the rest of today included (>= 1)."""
        return self.later_sessions + (1 if self.today_minutes_left > 0 else 0)

    @property
    def minutes_left(self) -> float:
        """Trading minutes from ``at`` to the expiry close."""
        return self.today_minutes_left + SESSION_MINUTES * self.later_sessions

    def today_share(self, gap_share: float) -> float:
        """Today's session still ahead, in sessions of variance: 1 before the open (its gap
        is still to come), ``minutes left / 375 * (1 - g)`` while open, 0 after the close."""
        if self.today_minutes_left <= 0:
            return 0.0
        if self.state == "pre_open":
            return 1.0
        return self.today_minutes_left / SESSION_MINUTES * (1.0 - gap_share)

    def horizon(self, gap_share: float) -> float:
        """Sessions of variance left to the expiry close (``tau * 252``, fractional)."""
        return self.later_sessions + self.today_share(gap_share)

    def tau(self, gap_share: float) -> float:
        """Trading time to the expiry close in years of 252 sessions (module docstring)."""
        return self.horizon(gap_share) / SESSIONS_PER_YEAR

    def describe(self) -> str:
        """One line for the page and the provenance: "14:15 IST, 75 minutes to the 15:30 ..."."""
        local = self.at.astimezone(IST)
        left = self.minutes_left
        span = (f"{left:.0f} trading minutes" if left < SESSION_MINUTES
                else f"{self.sessions} sessions ({left:.0f} trading minutes)")
        return (f"{local:%Y-%m-%d %H:%M} IST ({self.state.replace('_', '-')}), {span} to the "
                f"{SESSION_CLOSE:%H:%M} close of the {self.expiry.isoformat()} expiry")


def _minutes_left_today(at: datetime, today: date, is_session: bool) -> float:
    if not is_session:
        return 0.0
    open_at = datetime.combine(today, SESSION_OPEN, IST)
    close_at = session_close(today)
    start = max(at, open_at)
    return max((close_at - start).total_seconds() / 60.0, 0.0)


def moment_at(at: datetime) -> Moment:
    """The moment of ``at`` (aware), by the exchange calendar (holidays included).

    Raises
    ------
    CalendarError
        ``at`` is naive (a moment needs its zone), or the calendar finds no session.
    """
    from aegis.errors import CalendarError
    from aegis.market import calendar

    if at.tzinfo is None:
        raise CalendarError(f"a moment needs a time zone; got the naive {at.isoformat()}")
    local = at.astimezone(IST)
    today = local.date()
    is_session = calendar.is_session(today)
    closed_today = local.time() >= SESSION_CLOSE
    if is_session:
        state: SessionState = ("pre_open" if local.time() < SESSION_OPEN
                               else "open" if not closed_today else "closed")
    else:
        state = "holiday" if today.weekday() < 5 else "closed"
    last_closed = calendar.previous_session(today, inclusive=is_session and closed_today).date()
    next_session = (today if is_session and not closed_today
                    else calendar.sessions(today + timedelta(days=1),
                                           today + timedelta(days=40))[0].date())
    # the first weekly expiry whose close is after `at`: today's until its close
    inclusive = not (is_session and closed_today)
    determination = calendar.expiry_determination(today, inclusive=inclusive)
    expiry = date.fromisoformat(determination["expiry"])
    later = calendar.sessions(today + timedelta(days=1), expiry) if expiry > today else []
    return Moment(
        at=local, state=state, today=today, today_is_session=is_session,
        last_closed=last_closed, next_session=next_session, expiry=expiry,
        expiry_close=session_close(expiry), determination=determination,
        later_sessions=len(later),
        today_minutes_left=_minutes_left_today(local, today, is_session),
    )


__all__ = ["SESSIONS_PER_YEAR", "SESSION_MINUTES", "Moment", "SessionState", "moment_at"]
