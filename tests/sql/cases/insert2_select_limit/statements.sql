-- LIMIT in INSERT INTO … SELECT: taken and ignored, as ksqlDB's persistent
-- plans ignore it (its limit node builds its source's stream unchanged); the
-- query runs on past the n rows. (CREATE … AS SELECT refuses a LIMIT.)
CREATE STREAM s (id INT KEY, a INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t (id INT KEY, a INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', PARTITIONS=1);
INSERT INTO t SELECT id, a * 10 AS a FROM s WHERE a > 0 LIMIT 1;
