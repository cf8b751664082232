"""Options that take several values after one flag: ``--nifty a.csv b.csv --vix c.csv``.

Click (hence typer) options take a fixed number of values each; ``nargs=-1`` is refused for
options, and ``multiple=True`` only collects a *repeated* flag. The DESIGN contract is
``--nifty FILE... --vix FILE...``, and ``--nifty a --nifty b`` should work too. So these flags
are not declared as click options: the command is registered with
:data:`MULTI_VALUE_CONTEXT` (``ignore_unknown_options`` + ``allow_extra_args``), click leaves
``--nifty a b --vix c d`` untouched, in order, in ``ctx.args``, and :func:`split_multi_values`
assigns every value to the flag before it. Declared options (``--json OUT``) are parsed by
click as usual, wherever they stand.

Register such a command as::

    app.command("validate", context_settings=MULTI_VALUE_CONTEXT)(validate)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

MULTI_VALUE_CONTEXT: dict[str, Any] = {"ignore_unknown_options": True, "allow_extra_args": True}
"""``context_settings`` for a command whose multi-value flags are parsed from ``ctx.args``."""


def split_multi_values(
    args: Sequence[str], flags: Sequence[str], *, required: Sequence[str] = ()
) -> dict[str, list[str]]:
    """Assign each value in ``args`` to the multi-value flag that precedes it.

    Parameters
    ----------
    args : sequence of str
        The raw leftover tokens, in command-line order (``ctx.args``).
    flags : sequence of str
        The accepted flags, e.g. ``("--nifty", "--vix")``. ``--flag=value`` is accepted too.
    required : sequence of str
        Flags that must be given with at least one value.

    Returns
    -------
    dict of str to list of str
        Every flag in ``flags`` -> its values in order (empty list when not given).

    Raises
    ------
    typer.BadParameter
        A value before any flag, an unknown flag, a flag without values, or a missing required
        flag (a click usage error: exit status 2 with the usage line).
    """
    values: dict[str, list[str]] = {flag: [] for flag in flags}
    seen: set[str] = set()
    current: str | None = None
    taken = 0  # values taken by the current occurrence of ``current``
    for token in args:
        if token.startswith("--"):
            flag, eq, inline = token.partition("=")
            if flag not in values:
                raise typer.BadParameter(
                    f"unknown option {flag!r}; expected one of {', '.join(flags)}"
                )
            _require_value(current, taken)
            current, taken = flag, 0
            seen.add(flag)
            if eq and inline:
                values[flag].append(inline)
                taken = 1
            continue
        if current is None:
            raise typer.BadParameter(
                f"unexpected argument {token!r}; expected it after one of {', '.join(flags)}"
            )
        values[current].append(token)
        taken += 1
    _require_value(current, taken)
    missing = [flag for flag in required if flag not in seen]
    if missing:
        raise typer.BadParameter(f"missing option {', '.join(missing)} FILE...")
    return values


def _require_value(flag: str | None, taken: int) -> None:
    """A flag followed by no value (``--nifty --vix c``, ``--nifty=``) is an error."""
    if flag is not None and taken == 0:
        raise typer.BadParameter(f"{flag} needs at least one value")


def split_paths(
    args: Sequence[str], flags: Sequence[str], *, required: Sequence[str] = ()
) -> dict[str, list[Path]]:
    """:func:`split_multi_values` with the values as paths."""
    return {
        flag: [Path(v) for v in vals]
        for flag, vals in split_multi_values(args, flags, required=required).items()
    }
