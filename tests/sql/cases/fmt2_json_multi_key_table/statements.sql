-- A table keyed by two JSON key columns: a record with a null key is dropped; a tombstone deletes.
CREATE TABLE s (k INT PRIMARY KEY, k2 INT PRIMARY KEY, v INT) WITH (KAFKA_TOPIC='s', FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT * FROM s;
