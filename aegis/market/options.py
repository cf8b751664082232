"""Option tables: chain snapshots (wide Upstox-style or long) and contract masters.

Chain policy (see :mod:`aegis.market.repairs` for bars):

* A snapshot without a time column is taken as unknown (``NaT``); naive times are IST.
* One side of a strike (CE or PE) whose last price and open interest are both zero or missing
  carries no quote (e.g. a snapshot taken after expiry): **rejected**, listed per row and side.
* Negative OI, or a strike that is missing / non-positive: **rejected**.
* IV outside (0, 300] annualised percent (0 and 500 are placeholders of some feeds): **repaired**
  to NaN (unknown). IV given as a fraction (median below 3) is scaled to percent, noted once.
* A PCR column in the file is never trusted: PCR is recomputed as total put OI / total call OI
  per expiry and reported in ``notes``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from aegis.errors import DataFormatError
from aegis.market.formats import RawTable, find_column, parse_datetimes, parse_numbers
from aegis.market.frames import CHAIN_COLUMNS, CONTRACT_COLUMNS, IST
from aegis.market.repairs import RowNote

SIDE_PREFIXES = {"CE": ("ce_", "call_", "calls_"), "PE": ("pe_", "put_", "puts_")}
SIDE_FIELDS: dict[str, tuple[str, ...]] = {
    "last_price": ("ltp", "last_price", "lastprice", "last"),
    "oi": ("oi", "open_interest", "openinterest"),
    "oi_change": ("oi_change", "change_in_oi", "chng_in_oi", "changeinopeninterest"),
    "prev_oi": ("prev_oi", "previous_oi"),
    "iv": ("iv", "implied_volatility", "impliedvolatility"),
    "bid": ("bid", "bid_price", "bidprice"),
    "ask": ("ask", "ask_price", "askprice"),
    "volume": ("volume", "total_traded_volume", "totaltradedvolume"),
}
SPOT_NAMES = ("spot_price", "spot", "underlying", "underlying_value", "underlyingvalue")
TIME_NAMES = ("fetch_time", "timestamp", "snapshot_time", "datetime", "time", "date")


@dataclass
class ParsedOptions:
    frame: pd.DataFrame
    repairs: list[RowNote] = field(default_factory=list)
    rejected: list[RowNote] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def side_prefix(columns: list[str], side: str) -> str | None:
    """The prefix (``ce_``, ``call_`` ...) under which ``side`` has a last price or OI column."""
    for prefix in SIDE_PREFIXES[side]:
        for fld in ("last_price", "oi"):
            if any(prefix + alias in columns for alias in SIDE_FIELDS[fld]):
                return prefix
    return None


def is_wide_chain(columns: list[str]) -> bool:
    return find_column(columns, "strike") is not None and all(
        side_prefix(columns, s) is not None for s in ("CE", "PE")
    )


def is_long_chain(columns: list[str]) -> bool:
    has_price = any(c in columns for c in SIDE_FIELDS["last_price"])
    has_oi = find_column(columns, "oi") is not None
    return (find_column(columns, "strike") is not None
            and find_column(columns, "option_type") is not None and has_price and has_oi
            and "open" not in columns)


def is_contract_master(columns: list[str]) -> bool:
    return all(find_column(columns, c) is not None for c in ("strike", "option_type", "expiry")) \
        and (find_column(columns, "lot_size") or find_column(columns, "tick_size")) is not None \
        and "open" not in columns and not any(c in columns for c in SIDE_FIELDS["last_price"])


def normalise_option_type(values: pd.Series) -> pd.Series:
    """``CE``/``PE`` from CE, C, CALL, Call ... (others -> NA)."""
    text = values.astype("string").str.strip().str.upper()
    mapping = {"CE": "CE", "C": "CE", "CALL": "CE", "CALLS": "CE",
               "PE": "PE", "P": "PE", "PUT": "PE", "PUTS": "PE"}
    return text.map(mapping).astype("string")


def _pick(columns: list[str], names: tuple[str, ...], prefix: str = "") -> str | None:
    for n in names:
        if prefix + n in columns:
            return prefix + n
    return None


def _snapshot_times(table: RawTable) -> pd.Series:
    cols = list(table.frame.columns)
    name = _pick(cols, TIME_NAMES)
    if name is None:
        return pd.Series(pd.NaT, index=table.frame.index, dtype=f"datetime64[ns, {IST}]")
    parsed, has_time = parse_datetimes(table.frame[name], path=table.path, column=name)
    if not has_time:
        parsed = parsed.dt.tz_localize(IST)
    return parsed


def parse_chain(table: RawTable, now: datetime | None = None) -> ParsedOptions:
    """Wide (one row per strike, ``ce_*``/``pe_*`` columns) or long chain -> canonical chain.

    ``now`` (aware; default the system clock): rows stamped after it are rejected.
    """
    f, cols = table.frame, list(table.frame.columns)
    ts = _snapshot_times(table)
    exp_col = find_column(cols, "expiry")
    expiry = (parse_datetimes(f[exp_col], path=table.path, column=exp_col)[0] if exp_col
              else pd.Series(pd.NaT, index=f.index))
    if isinstance(expiry.dtype, pd.DatetimeTZDtype):
        expiry = expiry.dt.tz_localize(None)
    expiry = expiry.dt.normalize()
    strike = parse_numbers(f[find_column(cols, "strike") or "strike"])
    spot_col = _pick(cols, SPOT_NAMES)
    spot = parse_numbers(f[spot_col]) if spot_col else pd.Series(np.nan, index=f.index)

    sides: list[tuple[str, str, pd.Series]] = []
    if is_wide_chain(cols):
        for side in ("CE", "PE"):
            sides.append((side, side_prefix(cols, side) or "", pd.Series(True, index=f.index)))
    else:
        kind = normalise_option_type(f[find_column(cols, "option_type") or "option_type"])
        for side in ("CE", "PE"):
            sides.append((side, "", (kind == side).fillna(False)))

    out = ParsedOptions(pd.DataFrame(columns=CHAIN_COLUMNS))
    parts = []
    for side, prefix, mask in sides:
        part = pd.DataFrame({"timestamp": ts, "expiry": expiry, "strike": strike,
                             "option_type": side, "underlying": spot})
        for fld, names in SIDE_FIELDS.items():
            col = _pick(cols, names, prefix)
            part[fld] = parse_numbers(f[col]) if col else np.nan
        if part["oi_change"].isna().all() and part["prev_oi"].notna().any():
            part["oi_change"] = part["oi"] - part["prev_oi"]
        part["row_"] = table.row_numbers
        part["prefix_"] = prefix
        part["price_col_"] = _pick(cols, SIDE_FIELDS["last_price"], prefix) or "last_price"
        part["oi_col_"] = _pick(cols, SIDE_FIELDS["oi"], prefix) or "oi"
        part["iv_col_"] = _pick(cols, SIDE_FIELDS["iv"], prefix) or "iv"
        parts.append(part[mask.to_numpy()])
    chain = pd.concat(parts, ignore_index=True)
    chain = _check_chain(chain, out, pd.Timestamp(now).tz_convert(IST) if now is not None
                         else pd.Timestamp.now(tz=IST))
    _rescale_iv(chain, out)
    chain = chain.sort_values(["timestamp", "expiry", "strike", "option_type"], kind="stable")
    out.frame = chain[CHAIN_COLUMNS].reset_index(drop=True)
    _note_pcr_and_expiry(table, out)
    return out


def _iso(t: object) -> str:
    return "" if pd.isna(t) else pd.Timestamp(t).isoformat()


def _after_now(timestamp: object, now: pd.Timestamp) -> bool:
    ts = pd.Timestamp(timestamp)
    if pd.isna(ts):
        return False
    return bool((ts.tz_localize(IST) if ts.tz is None else ts) > now)


def _check_chain(chain: pd.DataFrame, out: ParsedOptions, now: pd.Timestamp) -> pd.DataFrame:
    keep = np.ones(len(chain), dtype=bool)
    seen_bad_strike: set[int] = set()
    seen_future: set[int] = set()
    for i, r in enumerate(chain.itertuples(index=False)):
        if _after_now(r.timestamp, now):  # a snapshot that has not been taken yet
            keep[i] = False
            if r.row_ not in seen_future:
                seen_future.add(r.row_)
                when = now.isoformat(timespec="minutes")
                out.rejected.append(RowNote(int(r.row_), _iso(r.timestamp), "timestamp",
                                            f"stamped after now ({when} IST): a snapshot "
                                            "that has not been taken"))
            continue
        if not (np.isfinite(r.strike) and r.strike > 0):
            keep[i] = False
            if r.row_ not in seen_bad_strike:
                seen_bad_strike.add(r.row_)
                out.rejected.append(RowNote(int(r.row_), _iso(r.timestamp), "strike",
                                            f"missing or non-positive strike {r.strike}"))
            continue
        price_zero = not np.isfinite(r.last_price) or r.last_price == 0
        oi_zero = not np.isfinite(r.oi) or r.oi == 0
        if price_zero and oi_zero:
            keep[i] = False
            out.rejected.append(RowNote(
                int(r.row_), _iso(r.timestamp), f"{r.price_col_},{r.oi_col_}",
                f"{r.option_type} {r.strike:g}: no quote (last price and OI zero or missing)"))
        elif np.isfinite(r.oi) and r.oi < 0:
            keep[i] = False
            out.rejected.append(RowNote(int(r.row_), _iso(r.timestamp), r.oi_col_,
                                        f"{r.option_type} {r.strike:g}: negative OI {r.oi:g}"))
    return chain[keep].copy()


def _rescale_iv(chain: pd.DataFrame, out: ParsedOptions) -> None:
    iv = chain["iv"]
    plausible = iv[(iv > 0) & (iv <= 300)]
    if len(plausible) and plausible.median() < 3:
        chain["iv"] = iv * 100.0
        out.notes.append("IV given as a fraction: scaled to annualised percent")
    iv = chain["iv"]
    bad = iv.notna() & ~((iv > 0) & (iv <= 300))
    for r in chain[bad].itertuples(index=False):
        out.repairs.append(RowNote(
            int(r.row_), _iso(r.timestamp), r.iv_col_,
            f"{r.option_type} {r.strike:g}: IV {r.iv:g} outside (0, 300] percent: set to NaN"))
    chain.loc[bad, "iv"] = np.nan
    out.repairs.sort(key=lambda n: (n.row, n.column or ""))
    out.rejected.sort(key=lambda n: (n.row, n.column or ""))


def _note_pcr_and_expiry(table: RawTable, out: ParsedOptions) -> None:
    chain = out.frame
    for expiry, group in chain.groupby("expiry", dropna=False):
        calls = group.loc[group["option_type"] == "CE", "oi"].sum()
        puts = group.loc[group["option_type"] == "PE", "oi"].sum()
        pcr = puts / calls if calls > 0 else float("nan")
        out.notes.append(f"expiry {_iso(expiry)[:10]}: PCR recomputed = put OI / call OI = "
                         f"{puts:g} / {calls:g} = {pcr:.4f}")
        snap = group["timestamp"].max()
        if pd.notna(snap) and pd.notna(expiry) and snap.tz_localize(None).normalize() > expiry:
            out.notes.append(f"snapshot {_iso(snap)} was taken after its expiry "
                             f"{_iso(expiry)[:10]}: prices are post-expiry leftovers")
    if "pcr" in table.frame.columns:
        first = parse_numbers(table.frame["pcr"]).iloc[0]
        out.notes.append(f"file PCR column ignored (first row says {first:g})")


def parse_contract_master(table: RawTable) -> ParsedOptions:
    """Contract master -> ``expiry, strike, option_type, lot_size, tick_size, weekly``."""
    f, cols = table.frame, list(table.frame.columns)
    exp_col = find_column(cols, "expiry") or "expiry"
    expiry, _ = parse_datetimes(f[exp_col], path=table.path, column=exp_col)
    frame = pd.DataFrame({
        "expiry": expiry.dt.tz_localize(None) if isinstance(expiry.dtype, pd.DatetimeTZDtype)
        else expiry,
        "strike": parse_numbers(f[find_column(cols, "strike") or "strike"]),
        "option_type": normalise_option_type(f[find_column(cols, "option_type") or "type"]),
    })
    for name in ("lot_size", "tick_size"):
        col = find_column(cols, name)
        frame[name] = parse_numbers(f[col]) if col else np.nan
    weekly_col = find_column(cols, "weekly")
    if weekly_col:
        text = f[weekly_col].astype("string").str.strip().str.lower()
        frame["weekly"] = text.map({"true": True, "1": True, "yes": True, "false": False,
                                    "0": False, "no": False}).astype("boolean")
    else:
        frame["weekly"] = pd.array([pd.NA] * len(frame), dtype="boolean")
    out = ParsedOptions(frame)
    keep = np.ones(len(frame), dtype=bool)
    for i, r in enumerate(frame.itertuples(index=False)):
        row, at = int(table.row_numbers[i]), _iso(r.expiry)[:10]
        if pd.isna(r.expiry):
            out.rejected.append(RowNote(row, "", "expiry", "unparseable expiry"))
        elif not (np.isfinite(r.strike) and r.strike > 0):
            out.rejected.append(RowNote(row, at, "strike", f"missing or non-positive strike"
                                                           f" {r.strike}"))
        elif pd.isna(r.option_type):
            out.rejected.append(RowNote(row, at, "option_type", "option type is not CE or PE"))
        else:
            continue
        keep[i] = False
    frame = frame[keep]
    dup = frame.duplicated(["expiry", "strike", "option_type"]).to_numpy()
    for j in np.flatnonzero(dup):
        r = frame.iloc[j]
        out.rejected.append(RowNote(int(table.row_numbers[keep][j]), _iso(r.expiry)[:10],
                                    "strike", f"duplicate contract {r.strike:g} {r.option_type}"))
    out.rejected.sort(key=lambda n: n.row)
    if frame.empty and not out.rejected:
        raise DataFormatError(table.path, "contract rows (expiry, strike, option_type)")
    out.frame = frame[~dup].sort_values(["expiry", "strike", "option_type"])[CONTRACT_COLUMNS]
    out.frame = out.frame.reset_index(drop=True)
    return out


_MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
_MONTHLY_SYMBOL = re.compile(
    rf"^(?P<und>[A-Z&-]+?)(?P<yy>\d{{2}})(?P<mon>{_MONTHS})(?P<strike>\d+(?:\.\d+)?)(?P<type>CE|PE)$")
_WEEKLY_SYMBOL = re.compile(
    r"^(?P<und>[A-Z&-]+?)(?P<yy>\d{2})(?P<m>[1-9OND])(?P<dd>\d{2})(?P<strike>\d+(?:\.\d+)?)"
    r"(?P<type>CE|PE)$")


def parse_contract_symbols(values: pd.Series) -> pd.DataFrame:
    """NSE option symbols -> ``expiry, strike, option_type`` (NaN/NA where not a symbol).

    Monthly ``NIFTY23JUN17500CE`` (expiry: the month's last expiry weekday, holiday -> previous
    session, from :mod:`aegis.market.calendar`) and weekly ``NIFTY2361517500CE`` (yy, month
    1-9/O/N/D, day).
    """
    from aegis.market.calendar import monthly_expiry

    text = values.astype("string").str.strip().str.upper().str.replace(" ", "", regex=False)
    out = pd.DataFrame({"expiry": pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]"),
                        "strike": np.nan,
                        "option_type": pd.Series(pd.NA, index=values.index, dtype="string")})
    monthly = text.str.extract(_MONTHLY_SYMBOL)
    weekly = text.str.extract(_WEEKLY_SYMBOL)
    cache: dict[tuple[int, int], pd.Timestamp] = {}
    for i in range(len(text)):
        m, w = monthly.iloc[i], weekly.iloc[i]
        if pd.notna(m["strike"]):
            year, month = 2000 + int(m["yy"]), _MONTHS.split("|").index(m["mon"]) + 1
            if (year, month) not in cache:
                cache[(year, month)] = monthly_expiry(year, month)
            expiry, strike, kind = cache[(year, month)], m["strike"], m["type"]
        elif pd.notna(w["strike"]):
            month = {"O": 10, "N": 11, "D": 12}.get(w["m"]) or int(w["m"])
            try:
                expiry = pd.Timestamp(year=2000 + int(w["yy"]), month=month, day=int(w["dd"]))
            except ValueError:
                continue
            strike, kind = w["strike"], w["type"]
        else:
            continue
        out.iloc[i, 0] = expiry
        out.iloc[i, 1] = float(strike)
        out.iloc[i, 2] = kind
    return out


def contract_symbol_column(frame: pd.DataFrame) -> str | None:
    """A text column whose cells are mostly (>= 50%) NSE option symbols, if any.

    Judged on the first 200 cells of each column that is not a known market-data column.
    """
    from aegis.market.formats import ALIASES

    known = {alias for names in ALIASES.values() for alias in names}
    for col in frame.columns:
        if col in known or pd.api.types.is_numeric_dtype(frame[col].dtype):
            continue
        values = frame[col].head(200).dropna().astype("string").str.strip().str.upper()
        if values.empty:
            continue
        matches = values.str.match(_MONTHLY_SYMBOL) | values.str.match(_WEEKLY_SYMBOL)
        if matches.mean() >= 0.5:
            return str(col)
    return None
