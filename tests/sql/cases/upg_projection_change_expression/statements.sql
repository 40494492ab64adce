-- An upgrade that computes a column another way (same name and type).
CREATE STREAM s (id INT KEY, u STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM x AS SELECT * FROM s;
CREATE OR REPLACE STREAM x AS SELECT id, UCASE(u) AS u FROM s;
