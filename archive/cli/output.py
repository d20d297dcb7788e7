"""One output layer for every listing command: a table for people, JSON, JSON lines or CSV for scripts;
and ``--show-sql``, which prints every statement a command runs to stderr.

A command builds a ``Listing`` (its rows, the table columns, and optionally a richer JSON document
and a custom table layout) and hands it to ``render`` with the format that ``output_options`` parsed.
Rows are streamed in every machine format (JSON as ``[``, rows, ``]`` written as they come), so
an export of any size keeps memory flat.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import IO, Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("table", "json", "jsonl", "csv")


def output_options(default: str = "table") -> Callable[[F], F]:
    """``--json``, ``--jsonl``, ``--csv`` and ``--format NAME``, handed to the command as one ``fmt``
    argument (``default`` when none is given)."""

    def decorate(fn: F) -> F:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            flag, named = kwargs.pop("fmt_flag"), kwargs.pop("fmt_name")
            if flag and named and flag != named:
                # a usage error: this runs outside the command's own error handling (``friendly``)
                raise click.UsageError(f"--{flag} and --format {named} ask for two formats; give one")
            kwargs["fmt"] = flag or named or default
            return fn(*args, **kwargs)

        options = [
            click.option("--json", "fmt_flag", flag_value="json", help="One JSON document."),
            click.option("--jsonl", "fmt_flag", flag_value="jsonl", help="JSON lines, one row per line."),
            click.option("--csv", "fmt_flag", flag_value="csv", help="CSV with a header row."),
            click.option("--format", "fmt_name", type=click.Choice(FORMATS), default=None,
                         help=f"Output format (default: {default})."),
        ]
        decorated: Any = wrapper
        for option in reversed(options):
            decorated = option(decorated)
        return decorated  # type: ignore[no-any-return]

    return decorate


@dataclass
class Listing:
    """What a command shows. ``rows`` are what JSON lines and CSV carry (and JSON, unless
    ``document`` says more, e.g. search's facets); ``table`` draws the human view when it is more
    than one table of ``columns``; ``flatten`` turns a row into CSV cells."""

    rows: Iterable[dict[str, Any]]
    columns: Sequence[str]
    document: Any = None
    table: Callable[[], None] | None = None
    flatten: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    empty: str | None = None


def render(listing: Listing, fmt: str, out: IO[str] | None = None) -> int:
    """Write ``listing`` in ``fmt`` to ``out`` (stdout by default); returns the number of rows written
    (for a JSON document or a custom table, the rows it was built from, when they are counted)."""
    stream = out if out is not None else sys.stdout
    if fmt == "table":
        return _table(listing, stream)
    if fmt == "json" and listing.document is not None:
        stream.write(json.dumps(listing.document, ensure_ascii=False, indent=2, default=jsonable) + "\n")
        return len(listing.rows) if isinstance(listing.rows, list) else 0
    if fmt == "csv":
        return _csv(listing, stream)
    return _json_rows(listing.rows, stream, array=fmt == "json")


def jsonable(value: Any) -> Any:
    """``json.dumps`` default for the values rows hold besides JSON's own."""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _json_rows(rows: Iterable[dict[str, Any]], out: IO[str], *, array: bool) -> int:
    n = 0
    if array:
        out.write("[")
    for row in rows:
        text = json.dumps(row, ensure_ascii=False, default=jsonable)
        if array:
            out.write(("\n" if n == 0 else ",\n") + text)
        else:
            out.write(text + "\n")
        n += 1
    if array:
        out.write("\n]\n" if n else "]\n")
    return n


def _csv(listing: Listing, out: IO[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=list(listing.columns), extrasaction="ignore")
    writer.writeheader()
    n = 0
    for row in listing.rows:
        writer.writerow(listing.flatten(row) if listing.flatten else flat_cells(row))
        n += 1
    return n


def flat_cells(row: dict[str, Any]) -> dict[str, Any]:
    """CSV cells for a row: lists joined with '; ', nested objects as JSON, dates in ISO 8601."""
    cells: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, (list, tuple)):
            cells[key] = "; ".join(json.dumps(v, default=jsonable) if isinstance(v, dict) else str(v)
                                   for v in value)
        elif isinstance(value, dict):
            cells[key] = json.dumps(value, ensure_ascii=False, default=jsonable)
        elif isinstance(value, datetime):
            cells[key] = value.isoformat()
        else:
            cells[key] = value
    return cells


def _table(listing: Listing, out: IO[str]) -> int:
    if listing.table is not None:
        listing.table()
        return len(listing.rows) if isinstance(listing.rows, list) else 0
    rows = [(listing.flatten or flat_cells)(row) for row in listing.rows]  # lists as text, not as repr
    if not rows and listing.empty:
        out.write(listing.empty + "\n")
        return 0
    print_table(rows, listing.columns, out)
    return len(rows)


def print_table(rows: list[dict[str, Any]], columns: Iterable[str], out: IO[str] | None = None) -> None:
    """Plain left-aligned columns, one header line; missing values are blank."""
    stream = out if out is not None else sys.stdout
    cols = list(columns)
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in cols] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(cols)]
    stream.write("  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip() + "\n")
    for row in cells:
        stream.write("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")

show_sql_option = click.option("--show-sql", is_flag=True, help="Print the SQL that runs to stderr.")


def echo_sql(engine: Any) -> None:
    """Print every statement the engine runs to stderr, with literal values where they can be rendered."""
    from sqlalchemy import event

    def before_execute(conn: Any, clauseelement: Any, multiparams: Any, params: Any, _options: Any) -> None:
        try:
            sql = str(clauseelement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        except Exception:  # noqa: BLE001 - a value without a literal form: show placeholders and values
            sql = str(clauseelement.compile(dialect=conn.dialect))
            values = multiparams or params
            if values:
                sql += f"\n-- parameters: {values!r}"
        click.echo(sql.strip() + ";", err=True)

    event.listen(engine, "before_execute", before_execute)
