-- The first released pressclips schema (SCHEMA_VERSION 1, archive/models.py at commit e278880), for postgresql.
-- Generated once by SQLAlchemy's DDL compiler from that file and frozen here: tests/archive/db/test_migrations.py
-- builds an archive from it and upgrades it, without checking out old code.

CREATE TABLE meta (
	key VARCHAR(64) NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (key)
);

CREATE TABLE outlets (
	id SERIAL NOT NULL,
	name VARCHAR(200) NOT NULL,
	homepage TEXT NOT NULL,
	domains JSON NOT NULL,
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (name)
);

CREATE TABLE crawl_runs (
	id SERIAL NOT NULL,
	started_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	finished_at TIMESTAMP WITHOUT TIME ZONE,
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
	id SERIAL NOT NULL,
	url TEXT NOT NULL,
	outlet_id INTEGER,
	run_id INTEGER,
	fetched_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
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
	UNIQUE (warc_record_id)
);

CREATE INDEX ix_captures_article_id ON captures (article_id);

CREATE INDEX ix_captures_run_id ON captures (run_id);

CREATE INDEX ix_captures_warc ON captures (warc_file, warc_offset);

CREATE INDEX ix_captures_url ON captures (url);

CREATE TABLE article_versions (
	id SERIAL NOT NULL,
	article_id INTEGER NOT NULL,
	content_hash VARCHAR(64) NOT NULL,
	title TEXT,
	authors JSON NOT NULL,
	published_at TIMESTAMP WITHOUT TIME ZONE,
	published_raw VARCHAR(64),
	modified_at TIMESTAMP WITHOUT TIME ZONE,
	language VARCHAR(16),
	canonical_url TEXT,
	description TEXT,
	site_name TEXT,
	text TEXT NOT NULL,
	extractor VARCHAR(64) NOT NULL,
	capture_id INTEGER,
	first_seen TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	last_seen TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_version_hash UNIQUE (article_id, content_hash)
);

CREATE INDEX ix_article_versions_article_id ON article_versions (article_id);

CREATE INDEX ix_article_versions_published_at ON article_versions (published_at);

CREATE TABLE articles (
	id SERIAL NOT NULL,
	url_key TEXT NOT NULL,
	canonical_url TEXT NOT NULL,
	outlet_id INTEGER,
	first_seen TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	last_seen TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	current_version_id INTEGER,
	story_id INTEGER,
	gone BOOLEAN NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (url_key),
	FOREIGN KEY(outlet_id) REFERENCES outlets (id)
);

CREATE INDEX ix_articles_outlet_id ON articles (outlet_id);

CREATE INDEX ix_articles_story_id ON articles (story_id);

CREATE TABLE urls (
	id SERIAL NOT NULL,
	url TEXT NOT NULL,
	canonical_url TEXT NOT NULL,
	outlet_id INTEGER,
	article_id INTEGER,
	first_seen TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	last_seen TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	discovered_via VARCHAR(30),
	discovery JSON NOT NULL,
	last_fetched_at TIMESTAMP WITHOUT TIME ZONE,
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

ALTER TABLE articles ADD CONSTRAINT fk_articles_current_version FOREIGN KEY(current_version_id) REFERENCES article_versions (id);

ALTER TABLE captures ADD FOREIGN KEY(version_id) REFERENCES article_versions (id);

ALTER TABLE captures ADD FOREIGN KEY(run_id) REFERENCES crawl_runs (id);

ALTER TABLE article_versions ADD FOREIGN KEY(article_id) REFERENCES articles (id);

ALTER TABLE captures ADD FOREIGN KEY(outlet_id) REFERENCES outlets (id);

ALTER TABLE article_versions ADD FOREIGN KEY(capture_id) REFERENCES captures (id);

ALTER TABLE captures ADD FOREIGN KEY(article_id) REFERENCES articles (id);
