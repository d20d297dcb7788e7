-- The first released pressclips schema (SCHEMA_VERSION 1, archive/models.py at commit e278880), for sqlite.
-- Generated once by SQLAlchemy's DDL compiler from that file and frozen here: tests/archive/db/test_migrations.py
-- builds an archive from it and upgrades it, without checking out old code.

CREATE TABLE meta (
	"key" VARCHAR(64) NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY ("key")
);

CREATE TABLE outlets (
	id INTEGER NOT NULL,
	name VARCHAR(200) NOT NULL,
	homepage TEXT NOT NULL,
	domains JSON NOT NULL,
	created_at DATETIME NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (name)
);

CREATE TABLE crawl_runs (
	id INTEGER NOT NULL,
	started_at DATETIME NOT NULL,
	finished_at DATETIME,
	status VARCHAR(20) NOT NULL,
	finish_reason VARCHAR(100),
	outlets_file TEXT,
	pages_fetched INTEGER NOT NULL,
	articles_new INTEGER NOT NULL,
	articles_updated INTEGER NOT NULL,
	articles_unchanged INTEGER NOT NULL,
	not_articles INTEGER NOT NULL,
	errors INTEGER NOT NULL,
	bytes BIGINT NOT NULL,
	warc_files JSON NOT NULL,
	stats JSON NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE captures (
	id INTEGER NOT NULL,
	url TEXT NOT NULL,
	outlet_id INTEGER,
	run_id INTEGER,
	fetched_at DATETIME NOT NULL,
	status INTEGER NOT NULL,
	mime VARCHAR(200),
	payload_digest VARCHAR(100) NOT NULL,
	warc_file TEXT NOT NULL,
	warc_offset BIGINT NOT NULL,
	warc_length BIGINT NOT NULL,
	warc_record_id VARCHAR(100) NOT NULL,
	kind VARCHAR(30),
	reason VARCHAR(200),
	article_id INTEGER,
	version_id INTEGER,
	PRIMARY KEY (id),
	FOREIGN KEY(outlet_id) REFERENCES outlets (id),
	FOREIGN KEY(run_id) REFERENCES crawl_runs (id),
	UNIQUE (warc_record_id),
	FOREIGN KEY(article_id) REFERENCES articles (id),
	FOREIGN KEY(version_id) REFERENCES article_versions (id)
);

CREATE INDEX ix_captures_article_id ON captures (article_id);

CREATE INDEX ix_captures_run_id ON captures (run_id);

CREATE INDEX ix_captures_warc ON captures (warc_file, warc_offset);

CREATE INDEX ix_captures_url ON captures (url);

CREATE TABLE article_versions (
	id INTEGER NOT NULL,
	article_id INTEGER NOT NULL,
	content_hash VARCHAR(64) NOT NULL,
	title TEXT,
	authors JSON NOT NULL,
	published_at DATETIME,
	published_raw VARCHAR(64),
	modified_at DATETIME,
	language VARCHAR(16),
	canonical_url TEXT,
	description TEXT,
	site_name TEXT,
	text TEXT NOT NULL,
	extractor VARCHAR(64) NOT NULL,
	capture_id INTEGER,
	first_seen DATETIME NOT NULL,
	last_seen DATETIME NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_version_hash UNIQUE (article_id, content_hash),
	FOREIGN KEY(article_id) REFERENCES articles (id),
	FOREIGN KEY(capture_id) REFERENCES captures (id)
);

CREATE INDEX ix_article_versions_article_id ON article_versions (article_id);

CREATE INDEX ix_article_versions_published_at ON article_versions (published_at);

CREATE TABLE articles (
	id INTEGER NOT NULL,
	url_key TEXT NOT NULL,
	canonical_url TEXT NOT NULL,
	outlet_id INTEGER,
	first_seen DATETIME NOT NULL,
	last_seen DATETIME NOT NULL,
	current_version_id INTEGER,
	story_id INTEGER,
	gone BOOLEAN NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (url_key),
	FOREIGN KEY(outlet_id) REFERENCES outlets (id),
	CONSTRAINT fk_articles_current_version FOREIGN KEY(current_version_id) REFERENCES article_versions (id)
);

CREATE INDEX ix_articles_outlet_id ON articles (outlet_id);

CREATE INDEX ix_articles_story_id ON articles (story_id);

CREATE TABLE urls (
	id INTEGER NOT NULL,
	url TEXT NOT NULL,
	canonical_url TEXT NOT NULL,
	outlet_id INTEGER,
	article_id INTEGER,
	first_seen DATETIME NOT NULL,
	last_seen DATETIME NOT NULL,
	discovered_via VARCHAR(30),
	discovery JSON NOT NULL,
	last_fetched_at DATETIME,
	last_status INTEGER,
	etag TEXT,
	last_modified TEXT,
	last_capture_id INTEGER,
	PRIMARY KEY (id),
	UNIQUE (url),
	FOREIGN KEY(outlet_id) REFERENCES outlets (id),
	FOREIGN KEY(article_id) REFERENCES articles (id),
	FOREIGN KEY(last_capture_id) REFERENCES captures (id)
);

CREATE INDEX ix_urls_article_id ON urls (article_id);

CREATE INDEX ix_urls_canonical_url ON urls (canonical_url);
