"""How long the first open of an archive made before Alembic takes: schema 1 with N articles
upgraded to head (add the schema-3 columns and indexes, build the full-text index over every
version, stamp, apply the revisions), and how long an already-current archive takes to open.

    .venv/bin/python bench/schema_upgrade.py --n 20000 [--database-url postgresql+psycopg://…/db]

Without --database-url an SQLite file in a temporary directory is used; with it, a private schema
is created in that database and dropped afterwards. The archive is built from the frozen schema-1
DDL the migration tests use (tests/archive/db/data), one version of ~2 kB text per article.
Prints: rows, build time, upgrade time (and per 1,000 versions), the open time of the upgraded
archive, and the load average (this machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.db import migrate  # noqa: E402
from archive.db.engine import make_engine  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "tests" / "archive" / "db" / "data"
WORDS = ("press coverage festival premiere director interview review studio release trailer casting "
         "budget schedule critic audience screening award nomination sequel adaptation").split()
T = datetime(2026, 1, 1)


def build(url: str, n: int) -> None:
    engine = create_engine(url)
    ddl = (DATA / f"schema_v1_{engine.dialect.name}.sql").read_text()
    with engine.begin() as conn:
        for statement in ddl.split(";\n"):
            body = "\n".join(line for line in statement.splitlines() if not line.startswith("--")).strip()
            if body:
                conn.exec_driver_sql(body)
        conn.execute(text("INSERT INTO meta (key, value) VALUES ('schema_version', '1')"))
        conn.execute(text("INSERT INTO outlets (id, name, homepage, domains, created_at) "
                          "VALUES (1, 'Bench', 'http://127.0.0.1/', '[]', :t)"), {"t": T})
        articles = [{"i": i, "u": f"http://127.0.0.1/a/{i}", "t": T} for i in range(1, n + 1)]
        conn.execute(text("INSERT INTO articles (id, url_key, canonical_url, outlet_id, first_seen, last_seen, gone) "
                          "VALUES (:i, :u, :u, 1, :t, :t, false)"), articles)
        versions = [{"i": i, "h": f"h{i}", "ti": f"Story {i} {WORDS[i % len(WORDS)]}",
                     "au": json.dumps([f"Writer {i % 97}"]),
                     "tx": " ".join(WORDS[(i * k) % len(WORDS)] for k in range(300)), "t": T}
                    for i in range(1, n + 1)]
        conn.execute(text("INSERT INTO article_versions (id, article_id, content_hash, title, authors, text, "
                          "extractor, first_seen, last_seen) VALUES (:i, :i, :h, :ti, :au, :tx, 'bench', :t, :t)"),
                     versions)
        conn.execute(text("UPDATE articles SET current_version_id = id"))
        conn.execute(text("INSERT INTO urls (url, canonical_url, outlet_id, article_id, first_seen, last_seen, "
                          "discovery) SELECT url_key, url_key, 1, id, first_seen, last_seen, '{}' FROM articles"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pressclips-upgrade-") as scratch:
        schema = None
        url = f"sqlite:///{Path(scratch) / 'archive.sqlite3'}"
        if args.database_url:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            url = f"{args.database_url}{'&' if '?' in args.database_url else '?'}options=-csearch_path%3D{schema}"
        try:
            started = time.perf_counter()
            build(url, args.n)
            built = time.perf_counter() - started
            started = time.perf_counter()
            engine = make_engine(url, create=False)
            upgraded = time.perf_counter() - started
            assert migrate.current(engine).revision == migrate.head()
            engine.dispose()
            started = time.perf_counter()
            make_engine(url, create=False).dispose()
            reopened = time.perf_counter() - started
        finally:
            if schema:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
                admin.dispose()
    dialect = "postgresql" if args.database_url else "sqlite"
    print(f"{dialect}: {args.n} articles/versions built in {built:.1f} s")
    print(f"first open (schema 1 -> {migrate.head()}): {upgraded:.2f} s, "
          f"{1e6 * upgraded / max(args.n, 1):.0f} ms per 1,000 versions")
    print(f"open of the upgraded archive: {reopened * 1000:.0f} ms")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
