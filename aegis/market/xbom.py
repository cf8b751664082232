"""XBOM's sessions (``exchange_calendars``) without importing it on the hot path.

``import exchange_calendars`` and building its XBOM calendar cost about 0.2 s per process, more
than the rest of a snapshot's calendar work together. The calendar is deterministic for a given
package version, so its only facts the house uses -- the span and the weekdays inside it that
are not sessions (XBOM lists no weekend session) -- are kept as package data,
``aegis/market/xbom_sessions.csv``, stamped with the ``exchange-calendars`` version they were
read from. :func:`exchange_sessions` serves that table while the installed version matches
the stamp, else (a bumped pin) the live calendar, so an answer never comes from a stale copy;
``tests/unit/test_xbom_table.py`` checks the table against the live calendar, and
``python -m aegis.market.xbom`` rewrites it after a version bump.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aegis.errors import CalendarError

TABLE_FILE = "xbom_sessions.csv"
PACKAGE = "exchange-calendars"
MODULE = "exchange_calendars"


@dataclass(frozen=True)
class ExchangeSessions:
    """XBOM's sessions: ``first``..``last`` (dates), every weekday a session except ``closed``.

    ``source``: ``table`` (the packaged file) or ``exchange_calendars`` (the live calendar).
    """

    version: str
    first: pd.Timestamp
    last: pd.Timestamp
    closed: frozenset[pd.Timestamp]
    source: str

    def is_session(self, day: pd.Timestamp) -> bool:
        """Whether ``day`` (inside the span) is a session."""
        return day.day_of_week < 5 and day not in self.closed

    def sessions_in_range(self, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DatetimeIndex:
        """The sessions in ``[lo, hi]`` (clipped to the span)."""
        days = pd.bdate_range(max(lo, self.first), min(hi, self.last))
        if not self.closed:
            return days
        closed = np.array(sorted(self.closed), dtype="datetime64[ns]")
        return days[~np.isin(days.to_numpy("datetime64[ns]"), closed)]


def installed_version() -> str:
    """The installed ``exchange-calendars`` version, without importing it.

    Read from the name of its one ``exchange_calendars-<version>.dist-info`` folder beside the
    package (how pip installs a wheel; ~0.3 ms), else from its metadata (``importlib.metadata``
    finds the distribution and parses its METADATA: ~4 ms of every publish)."""
    from importlib.util import find_spec

    spec = find_spec(MODULE)
    if spec is not None and spec.origin:
        infos = list(Path(spec.origin).parent.parent.glob(f"{MODULE}-*.dist-info"))
        if len(infos) == 1:
            return infos[0].name.removeprefix(f"{MODULE}-").removesuffix(".dist-info")
    return metadata_version()


def metadata_version() -> str:
    """The installed ``exchange-calendars`` version from its metadata."""
    from importlib import metadata

    return metadata.version(PACKAGE)


def table_path() -> Path:
    return Path(str(resources.files("aegis.market").joinpath(TABLE_FILE)))


def read_table(path: Path) -> ExchangeSessions:
    """The packaged table. Raises :class:`CalendarError` naming the file and line at fault."""
    text = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    rows: list[str] = []
    for number, line in enumerate(io.StringIO(text), start=1):
        line = line.strip()
        if line.startswith("# ") and "=" in line:
            key, _, value = line[2:].partition("=")
            meta[key.strip()] = value.strip()
        elif line and not line.startswith("#") and line != "closed":
            rows.append(line)
            try:
                pd.Timestamp(line)
            except ValueError as exc:
                raise CalendarError(f"{path}:{number}: expected an ISO date; got {line!r}") from exc
    missing = [k for k in ("version", "first", "last") if k not in meta]
    if missing:
        raise CalendarError(f"{path}: expected header lines '# version=', '# first=', "
                            f"'# last='; missing {missing}")
    return ExchangeSessions(version=meta["version"], first=pd.Timestamp(meta["first"]),
                            last=pd.Timestamp(meta["last"]),
                            closed=frozenset(pd.Timestamp(r) for r in rows), source="table")


def live_sessions() -> ExchangeSessions:
    """The same facts from the live XBOM calendar (imports ``exchange_calendars``)."""
    import exchange_calendars as xcals

    cal: Any = xcals.get_calendar("XBOM")
    first, last = pd.Timestamp(cal.first_session), pd.Timestamp(cal.last_session)
    sessions = pd.DatetimeIndex(cal.sessions).tz_localize(None).normalize()
    weekend = sessions[sessions.day_of_week >= 5]
    if len(weekend):
        raise CalendarError(f"exchange_calendars {xcals.__version__} XBOM lists weekend sessions "
                            f"{list(weekend.date)}: {TABLE_FILE} cannot describe them")
    closed = pd.bdate_range(first, last).difference(sessions)
    return ExchangeSessions(version=xcals.__version__, first=first, last=last,
                            closed=frozenset(closed), source="exchange_calendars")


@lru_cache(maxsize=1)
def exchange_sessions() -> ExchangeSessions:
    """The packaged table when it was read from the installed version; else the live calendar."""
    table = read_table(table_path())
    if table.version == installed_version():
        return table
    return live_sessions()


def table_text(sessions: ExchangeSessions) -> str:
    """The CSV text of :func:`read_table` for ``sessions``."""
    out = io.StringIO()
    out.write("# XBOM weekdays that are not sessions, read from exchange_calendars (see "
              "aegis/market/xbom.py;\n# regenerate with `python -m aegis.market.xbom` after "
              "bumping exchange-calendars).\n")
    out.write(f"# version={sessions.version}\n# first={sessions.first.date()}\n"
              f"# last={sessions.last.date()}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["closed"])
    writer.writerows([[d.date().isoformat()] for d in sorted(sessions.closed)])
    return out.getvalue()


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    from aegis.atomic import write_text_atomic

    write_text_atomic(Path(__file__).with_name(TABLE_FILE), table_text(live_sessions()))
    print(f"wrote {Path(__file__).with_name(TABLE_FILE)}")
