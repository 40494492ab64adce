-- SELECT * in a stream-table join: every column named <alias>_<column>, the
-- stream's join column V_USER the key (the table's U_ID is a value column).
CREATE STREAM views (user STRING KEY, page STRING) WITH (KAFKA_TOPIC='views', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE users (id STRING PRIMARY KEY, region STRING) WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM enriched AS SELECT * FROM views v LEFT JOIN users u ON v.user = u.id;
