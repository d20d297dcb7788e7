"""The full-text index over ``article_versions``, one per dialect, created by ``install(engine)``.

SQLite: an FTS5 *external-content* table ``article_search`` (columns title, authors, text; the
rows live only in ``article_versions``), tokenizer ``unicode61 remove_diacritics 2`` so "café"
matches "cafe". Triggers on INSERT, DELETE and UPDATE OF title/authors/text keep it in sync, so the
store needs no search code. Authors are indexed as plain names: the JSON column holds ``\\u00e9``
escapes that the tokenizer would split, so the triggers decode it with ``json_each``. Because the
indexed authors differ from the raw column, never run FTS5's own ``'rebuild'`` on this table; use
``rebuild()`` here, which indexes exactly what the triggers index (FTS5 needs the same values to
delete a row that it was given to insert it).

PostgreSQL: a stored generated column ``article_versions.search_vector`` (title weight A,
authors B, text C) with a GIN index, built with the text search configuration
``pressclips_search``: a copy of ``simple`` (no stemming, no stop words: press coverage is
multilingual) that runs ``unaccent`` first when that extension is available or can be created.
When it cannot, search still works, only accents then matter on PostgreSQL. Documents are
indexed up to ``PG_MAX_CHARS`` characters (a tsvector is limited to 1 MB; an over-long article
must not make its insert fail).

CJK (Chinese, Japanese, Korean: no spaces between words, so a word index cannot find ``トランプ`` in
``トランプ戦術の成否``): a second index for substring search, over only the versions that contain
CJK characters (a text without them cannot contain a CJK substring, and Latin-script archives pay
nothing). SQLite: an FTS5 external-content table ``article_search_cjk`` with the ``trigram``
tokenizer, kept in sync by its own triggers (``WHEN`` the row has CJK characters, tested with
``GLOB``). PostgreSQL: a partial GIN ``pg_trgm`` index ``ix_article_versions_search_cjk`` on
``PG_CJK_DOCUMENT`` (title, authors, text) where it matches ``CJK_CLASS``; without the extension,
the same ``ILIKE`` still answers, by a scan. Both are created by ``install`` for existing archives
too, and backfilled there: the SQLite table is filled from ``article_versions`` when it is created,
and PostgreSQL builds an index over the existing rows. All names start with ``article_search`` or
``ix_article_versions_search`` like the word index's, for Alembic's ``include_object`` filter.

Both: an index on ``articles.current_version_id`` (covering outlet and first_seen), because search
reaches an article through its current version; on SQLite also one covering the version fields search
filters and groups by (published_at, language), read per match instead of the multi-kB version row.
``install`` is idempotent and back-fills an index it creates on an archive that
already has rows. Alembic autogenerate must skip these objects (``include_object``).
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

FTS_TABLE = "article_search"
CJK_TABLE = f"{FTS_TABLE}_cjk"
CJK_INDEX = "ix_article_versions_search_cjk"
# Code point ranges of scripts written without spaces (Hangul Jamo, kana, bopomofo, CJK ideographs,
# Hangul syllables, compatibility ideographs, half-width katakana); a regex / GLOB class for them.
CJK_RANGES = ((0x1100, 0x11FF), (0x3040, 0x30FF), (0x3100, 0x318F), (0x31F0, 0x31FF), (0x3400, 0x4DBF),
              (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFF66, 0xFF9F), (0x20000, 0x2FFFF))
CJK_CLASS = "[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in CJK_RANGES) + "]"
PG_CONFIG = "pressclips_search"
PG_COLUMN = "search_vector"
PG_MAX_CHARS = 250_000
_PG_LOCK = 0x7072_6573_7366_7473  # pg_advisory_xact_lock key: one installer at a time

# Search reaches an article from its current version; outlet and first_seen ride along (a covering
# index) so a match costs one index probe, not an index probe plus a table read.
_CURRENT_INDEX = ("CREATE INDEX IF NOT EXISTS ix_articles_current_version "
                  "ON articles (current_version_id, outlet_id, first_seen)")
# Likewise the version fields search filters and groups by, so a match never reads a whole version row.
VERSION_META_INDEX = "ix_article_versions_search_meta"
FTS_INDEXES = frozenset({"ix_articles_current_version", VERSION_META_INDEX, "ix_article_versions_search", CJK_INDEX})
_META_INDEX = f"CREATE INDEX IF NOT EXISTS {VERSION_META_INDEX} ON article_versions (id, published_at, language)"


PG_CJK_DOCUMENT = ("(coalesce(article_versions.title, '') || ' ' || pressclips_authors_text(article_versions.authors)"
                   f" || ' ' || left(coalesce(article_versions.text, ''), {PG_MAX_CHARS}))")


def is_fts_object(name: str | None, type_: str) -> bool:
    """The objects ``install`` owns, which Alembic autogenerate must neither drop nor re-create:
    the FTS5 table and its shadow tables (SQLite), the generated column (PostgreSQL) and the indexes
    made here. Their DDL is per dialect and lives in this module only."""
    if name is None:
        return False
    if type_ == "table":
        return name.startswith(FTS_TABLE)
    if type_ == "column":
        return name == PG_COLUMN
    if type_ == "index":
        return name in FTS_INDEXES
    return False


def authors_sql(column: str) -> str:
    """SQLite: the JSON authors list as 'Name, Name' (NULL or invalid JSON gives NULL, never an error)."""
    return (f"(SELECT group_concat(value, ', ') FROM json_each("
            f"CASE WHEN json_valid({column}) THEN {column} ELSE '[]' END))")


def _sqlite_row(prefix: str) -> str:
    return f"{prefix}.id, {prefix}.title, {authors_sql(prefix + '.authors')}, {prefix}.text"


_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON article_versions BEGIN
  INSERT INTO {FTS_TABLE}(rowid, title, authors, text) VALUES ({_sqlite_row('new')});
END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON article_versions BEGIN
  INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, authors, text) VALUES ('delete', {_sqlite_row('old')});
END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF title, authors, text ON article_versions BEGIN
  INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, authors, text) VALUES ('delete', {_sqlite_row('old')});
  INSERT INTO {FTS_TABLE}(rowid, title, authors, text) VALUES ({_sqlite_row('new')});
END""",
)


def _has_cjk(prefix: str) -> str:
    pattern = f"'*{CJK_CLASS}*'"
    return (f"(coalesce({prefix}.title, '') GLOB {pattern} OR coalesce({prefix}.text, '') GLOB {pattern} "
            f"OR coalesce({authors_sql(prefix + '.authors')}, '') GLOB {pattern})")


def _cjk_row(prefix: str) -> str:
    return f"SELECT {_sqlite_row(prefix)} WHERE {_has_cjk(prefix)}"


_CJK_COLUMNS = "rowid, title, authors, text"
_CJK_DELETE = f"INSERT INTO {CJK_TABLE}({CJK_TABLE}, {_CJK_COLUMNS}) SELECT 'delete', " + _cjk_row("old")[7:]
_CJK_INSERT = f"INSERT INTO {CJK_TABLE}({_CJK_COLUMNS}) " + _cjk_row("new")
_SQLITE_CJK_TRIGGERS = (
    f"CREATE TRIGGER IF NOT EXISTS {CJK_TABLE}_ai AFTER INSERT ON article_versions BEGIN {_CJK_INSERT}; END",
    f"CREATE TRIGGER IF NOT EXISTS {CJK_TABLE}_ad AFTER DELETE ON article_versions BEGIN {_CJK_DELETE}; END",
    f"CREATE TRIGGER IF NOT EXISTS {CJK_TABLE}_au AFTER UPDATE OF title, authors, text ON article_versions "
    f"BEGIN {_CJK_DELETE}; {_CJK_INSERT}; END",
)


def has_cjk_table(conn: Connection) -> bool:
    """SQLite: whether the trigram table exists (an archive only ever opened read-only since this
    version of pressclips has none yet)."""
    return conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = :n"), {"n": CJK_TABLE}).first() is not None


def install(engine: Engine) -> None:
    """Create the full-text index for this engine's dialect if missing (and fill it if it is new)."""
    with engine.begin() as conn:
        install_on(conn)


def install_on(conn: Connection) -> None:
    """``install`` inside the caller's transaction (the baseline migration runs it there)."""
    if conn.dialect.name == "sqlite":
        _install_sqlite(conn)
    elif conn.dialect.name == "postgresql":
        _install_postgresql(conn)
    else:  # other dialects are refused by the store already; search then says so itself
        log.warning("no full-text index for dialect %s", conn.dialect.name)


def rebuild(engine: Engine) -> None:
    """Re-index every version (SQLite; PostgreSQL's generated column cannot drift)."""
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as conn:
        _fill_sqlite(conn)
        if has_cjk_table(conn):
            _fill_sqlite_cjk(conn)


# -- SQLite --------------------------------------------------------------------------------------
def _install_sqlite(conn: Connection) -> None:
    exists = conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = :n"), {"n": FTS_TABLE}).first()
    conn.execute(text(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(title, authors, text, "
        "content='article_versions', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"))
    for ddl in _SQLITE_TRIGGERS:
        conn.execute(text(ddl))
    conn.execute(text(_CURRENT_INDEX))
    conn.execute(text(_META_INDEX))
    has_rows = conn.execute(text("SELECT 1 FROM article_versions LIMIT 1")).first() is not None
    if not exists and has_rows:
        _fill_sqlite(conn)
    cjk_exists = conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = :n"), {"n": CJK_TABLE}).first()
    # trigram needs SQLite >= 3.34 (2020); case-insensitive, so LIKE can use it too
    conn.execute(text(f"CREATE VIRTUAL TABLE IF NOT EXISTS {CJK_TABLE} USING fts5(title, authors, text, "
                      "content='article_versions', content_rowid='id', tokenize='trigram')"))
    for ddl in _SQLITE_CJK_TRIGGERS:
        conn.execute(text(ddl))
    if not cjk_exists and has_rows:
        _fill_sqlite_cjk(conn)


def _fill_sqlite(conn: Connection) -> None:
    conn.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')"))
    conn.execute(text(f"INSERT INTO {FTS_TABLE}(rowid, title, authors, text) "
                      f"SELECT {_sqlite_row('v')} FROM article_versions AS v"))


def _fill_sqlite_cjk(conn: Connection) -> None:
    conn.execute(text(f"INSERT INTO {CJK_TABLE}({CJK_TABLE}) VALUES ('delete-all')"))
    conn.execute(text(f"INSERT INTO {CJK_TABLE}({_CJK_COLUMNS}) SELECT {_sqlite_row('v')} "
                      f"FROM article_versions AS v WHERE {_has_cjk('v')}"))


# -- PostgreSQL ----------------------------------------------------------------------------------
def _install_postgresql(conn: Connection) -> None:
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
    has_config = conn.execute(text(
        "SELECT 1 FROM pg_ts_config WHERE cfgname = :n AND cfgnamespace = current_schema()::regnamespace"),
        {"n": PG_CONFIG}).first()
    if not has_config:
        conn.execute(text(f"CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = pg_catalog.simple)"))
        unaccent = _unaccent_dictionary(conn)
        if unaccent:
            conn.execute(text(f"ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG} "
                              f"ALTER MAPPING FOR word, hword, hword_part WITH {unaccent}, pg_catalog.simple"))
        else:
            log.warning("PostgreSQL extension 'unaccent' unavailable: search will treat accents as distinct")
    has_function = conn.execute(text(
        "SELECT 1 FROM pg_proc WHERE proname = 'pressclips_authors_text' "
        "AND pronamespace = current_schema()::regnamespace")).first()
    if not has_function:  # IMMUTABLE so a generated column may use it; odd JSON values give ''
        conn.execute(text(
            "CREATE FUNCTION pressclips_authors_text(a json) RETURNS text "
            "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
            "SELECT coalesce(string_agg(value, ', '), '') FROM json_array_elements_text("
            "CASE WHEN json_typeof(a) = 'array' THEN a ELSE '[]'::json END) $$"))
    has_column = conn.execute(text(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = 'article_versions' AND column_name = :c"), {"c": PG_COLUMN}).first()
    if not has_column:  # adding a stored generated column computes it for existing rows too
        cfg = f"'{PG_CONFIG}'::regconfig"
        conn.execute(text(
            f"ALTER TABLE article_versions ADD COLUMN {PG_COLUMN} tsvector GENERATED ALWAYS AS ("
            f"setweight(to_tsvector({cfg}, coalesce(title, '')), 'A') || "
            f"setweight(to_tsvector({cfg}, pressclips_authors_text(authors)), 'B') || "
            f"setweight(to_tsvector({cfg}, left(coalesce(text, ''), {PG_MAX_CHARS})), 'C')) STORED"))
    conn.execute(text(f"CREATE INDEX IF NOT EXISTS ix_article_versions_search ON article_versions "
                      f"USING gin ({PG_COLUMN})"))
    conn.execute(text(_CURRENT_INDEX))
    trgm = _extension_schema(conn, "pg_trgm")
    if trgm is None:
        log.warning("PostgreSQL extension 'pg_trgm' unavailable: CJK substring search scans instead of an index")
    else:  # building it indexes the rows already there: the backfill of an existing archive
        conn.execute(text(f"CREATE INDEX IF NOT EXISTS {CJK_INDEX} ON article_versions USING gin "
                          f"({PG_CJK_DOCUMENT} \"{trgm}\".gin_trgm_ops) WHERE {PG_CJK_DOCUMENT} ~ '{CJK_CLASS}'"))


def _unaccent_dictionary(conn: Connection) -> str | None:
    """Schema-qualified name of the unaccent dictionary, creating the extension if allowed."""
    found = _extension_schema(conn, "unaccent")
    return None if found is None else f'"{found}".unaccent'


def _extension_schema(conn: Connection, name: str) -> str | None:
    """The schema of extension ``name``, creating it (in public) if allowed; None if unavailable."""
    found = conn.execute(text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = :name"), {"name": name}).scalar()
    if found is None:
        available = conn.execute(text(
            "SELECT 1 FROM pg_available_extensions WHERE name = :name"), {"name": name}).first()
        if not available:
            return None
        # In public, not the current schema: dropping one archive's schema must not drop the
        # extension out from under another archive that uses it.
        savepoint = conn.begin_nested()
        try:
            conn.execute(text(f"CREATE EXTENSION IF NOT EXISTS {name} WITH SCHEMA public"))
            savepoint.commit()
        except Exception as exc:  # noqa: BLE001 - no privilege or no contrib package: search without it
            savepoint.rollback()
            log.info("cannot create extension %s: %s", name, str(exc).splitlines()[0])
        found = conn.execute(text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = :name"), {"name": name}).scalar()
    return str(found) if found is not None else None
