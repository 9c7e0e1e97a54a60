-- The hand-written upgrade from version 1 to version 2 of the hashdb schema on sqlite,
-- run on a version-1 database (v1_sqlite.sql).
-- Recorded statement for statement from the code of version 2; never edit.

ALTER TABLE entries ADD COLUMN organisation VARCHAR(200);

ALTER TABLE entries ADD COLUMN source TEXT;

CREATE TABLE api_keys (
	id INTEGER NOT NULL,
	name TEXT NOT NULL,
	role VARCHAR(16) NOT NULL,
	organisation TEXT,
	prefix VARCHAR(32) NOT NULL,
	key_hash VARCHAR(64) NOT NULL,
	created_at DATETIME NOT NULL,
	created_by TEXT,
	revoked_at DATETIME,
	revoked_by TEXT,
	PRIMARY KEY (id),
	UNIQUE (prefix)
);

CREATE TABLE organisations (
	id INTEGER NOT NULL,
	name VARCHAR(200) NOT NULL,
	description TEXT NOT NULL,
	created_at DATETIME NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (name)
);

CREATE TABLE list_settings (
	list_id INTEGER NOT NULL,
	owner_organisation VARCHAR(200),
	sharing VARCHAR(20) NOT NULL,
	review_radius JSON NOT NULL,
	updated_at DATETIME NOT NULL,
	PRIMARY KEY (list_id),
	FOREIGN KEY(list_id) REFERENCES lists (id)
);

CREATE TABLE label_vocabulary (
	facet VARCHAR(64) NOT NULL,
	value VARCHAR(200) NOT NULL,
	description TEXT NOT NULL,
	created_at DATETIME NOT NULL,
	PRIMARY KEY (facet, value)
);

CREATE TABLE entry_labels (
	entry_id INTEGER NOT NULL,
	label VARCHAR(265) NOT NULL,
	PRIMARY KEY (entry_id, label),
	FOREIGN KEY(entry_id) REFERENCES entries (id)
);

CREATE INDEX entry_labels_label ON entry_labels (label);

CREATE TABLE review_queue (
	id INTEGER NOT NULL,
	list_id INTEGER NOT NULL,
	entry_id INTEGER NOT NULL,
	algorithm VARCHAR(32) NOT NULL,
	query_hash BLOB NOT NULL,
	query_hashes JSON NOT NULL,
	distance INTEGER NOT NULL,
	threshold INTEGER NOT NULL,
	review_radius INTEGER NOT NULL,
	status VARCHAR(16) NOT NULL,
	platform TEXT,
	organisation VARCHAR(200),
	first_seen_at DATETIME NOT NULL,
	last_seen_at DATETIME NOT NULL,
	seen_count INTEGER NOT NULL,
	resolved_at DATETIME,
	resolved_by TEXT,
	resolution_note TEXT,
	result_entry_ids JSON,
	PRIMARY KEY (id),
	FOREIGN KEY(list_id) REFERENCES lists (id),
	FOREIGN KEY(entry_id) REFERENCES entries (id)
);

CREATE UNIQUE INDEX review_queue_pending_unique ON review_queue (entry_id, algorithm, query_hash) WHERE status = 'pending';

CREATE INDEX review_queue_status ON review_queue (status, id);

CREATE TABLE feedback (
	id INTEGER NOT NULL,
	entry_id INTEGER NOT NULL,
	verdict VARCHAR(16) NOT NULL,
	reason TEXT,
	principal TEXT,
	organisation VARCHAR(200),
	at DATETIME NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(entry_id) REFERENCES entries (id)
);

CREATE INDEX feedback_entry ON feedback (entry_id);

CREATE TABLE video_frames (
	id INTEGER NOT NULL,
	entry_id INTEGER NOT NULL,
	frame_index INTEGER NOT NULL,
	timestamp FLOAT NOT NULL,
	duration FLOAT NOT NULL,
	pdq BLOB NOT NULL,
	quality SMALLINT NOT NULL,
	band_pdq BLOB,
	PRIMARY KEY (id),
	FOREIGN KEY(entry_id) REFERENCES entries (id)
);

CREATE UNIQUE INDEX video_frames_entry ON video_frames (entry_id, frame_index);

CREATE TABLE video_rules (
	list_id INTEGER NOT NULL,
	min_query_share FLOAT NOT NULL,
	min_reference_share FLOAT NOT NULL,
	updated_at DATETIME NOT NULL,
	PRIMARY KEY (list_id),
	FOREIGN KEY(list_id) REFERENCES lists (id)
);

CREATE TABLE scan_jobs (
	id INTEGER NOT NULL,
	status VARCHAR(16) NOT NULL,
	params JSON NOT NULL,
	owner TEXT,
	created_at DATETIME NOT NULL,
	updated_at DATETIME NOT NULL,
	finished_at DATETIME,
	done BIGINT NOT NULL,
	last_key JSON,
	output_bytes BIGINT,
	counters JSON NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE scanned_media (
	id INTEGER NOT NULL,
	location TEXT NOT NULL,
	size_bytes BIGINT NOT NULL,
	mtime_ns BIGINT NOT NULL,
	sha256 VARCHAR(64),
	format VARCHAR(32) NOT NULL,
	width INTEGER NOT NULL,
	height INTEGER NOT NULL,
	job_id INTEGER,
	scanned_at DATETIME NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (location)
);

CREATE INDEX scanned_media_sha256 ON scanned_media (sha256);

CREATE TABLE reference_hashes (
	id INTEGER NOT NULL,
	entry_id INTEGER NOT NULL,
	variant VARCHAR(32) NOT NULL,
	algorithm VARCHAR(32) NOT NULL,
	hash BLOB NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(entry_id) REFERENCES entries (id)
);

CREATE INDEX reference_hashes_entry ON reference_hashes (entry_id);

CREATE TABLE reference_features (
	entry_id INTEGER NOT NULL,
	width INTEGER NOT NULL,
	height INTEGER NOT NULL,
	keypoints BLOB NOT NULL,
	descriptors BLOB NOT NULL,
	thumb_width INTEGER NOT NULL,
	thumb_height INTEGER NOT NULL,
	thumbnail BLOB NOT NULL,
	created_at DATETIME NOT NULL,
	PRIMARY KEY (entry_id),
	FOREIGN KEY(entry_id) REFERENCES entries (id)
);

CREATE TABLE scanned_hashes (
	id INTEGER NOT NULL,
	media_id INTEGER NOT NULL,
	algorithm VARCHAR(32) NOT NULL,
	hash BLOB NOT NULL,
	quality SMALLINT,
	position_ms BIGINT,
	PRIMARY KEY (id),
	FOREIGN KEY(media_id) REFERENCES scanned_media (id) ON DELETE CASCADE
);

CREATE INDEX scanned_hashes_media ON scanned_hashes (media_id);

CREATE INDEX scanned_hashes_algorithm ON scanned_hashes (algorithm, id);

UPDATE hashdb_schema SET version = 2;
