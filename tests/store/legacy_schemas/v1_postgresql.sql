-- Version 1 of the hashdb schema on postgresql, as the first release created it (SQLAlchemy create_all of the version-1 tables).
-- Recorded statement for statement from the code of that version; never edit.

CREATE TABLE hashdb_schema (
	version INTEGER NOT NULL
);

CREATE TABLE lists (
	id BIGSERIAL NOT NULL,
	name VARCHAR(200) NOT NULL,
	description TEXT NOT NULL,
	action VARCHAR(20) NOT NULL,
	thresholds JSON NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (name)
);

CREATE TABLE changes (
	seq BIGSERIAL NOT NULL,
	kind VARCHAR(16) NOT NULL,
	entry_id BIGINT,
	list_id BIGINT,
	at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (seq)
);

CREATE TABLE audit_log (
	id BIGSERIAL NOT NULL,
	at TIMESTAMP WITH TIME ZONE NOT NULL,
	actor TEXT,
	action VARCHAR(64) NOT NULL,
	target_type VARCHAR(32) NOT NULL,
	target_id TEXT,
	before JSON,
	after JSON,
	PRIMARY KEY (id)
);

CREATE INDEX audit_log_target ON audit_log (target_type, target_id);

CREATE TABLE entries (
	id BIGSERIAL NOT NULL,
	list_id BIGINT NOT NULL,
	algorithm VARCHAR(32) NOT NULL,
	hash BYTEA NOT NULL,
	quality SMALLINT,
	source_sha256 VARCHAR(64),
	label TEXT,
	note TEXT,
	added_by TEXT,
	added_at TIMESTAMP WITH TIME ZONE NOT NULL,
	retired_at TIMESTAMP WITH TIME ZONE,
	retired_reason TEXT,
	retired_by TEXT,
	PRIMARY KEY (id),
	FOREIGN KEY(list_id) REFERENCES lists (id)
);

CREATE INDEX entries_algorithm_live ON entries (algorithm, retired_at);

CREATE INDEX entries_list ON entries (list_id);

CREATE UNIQUE INDEX entries_live_unique ON entries (list_id, algorithm, hash) WHERE retired_at IS NULL;

INSERT INTO hashdb_schema (version) VALUES (1);
