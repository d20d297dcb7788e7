"""``--show-sql``: print every statement a command runs to stderr (for learning the schema, and for
bug reports)."""

from __future__ import annotations

from typing import Any

import click

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
