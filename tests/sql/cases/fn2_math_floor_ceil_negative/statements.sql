-- FLOOR and CEIL keep the argument's type; negative values go toward -Infinity and
-- +Infinity respectively (ksqlDB's math tests).
CREATE STREAM s (i INT, l BIGINT, d DOUBLE) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT FLOOR(i) AS fi, FLOOR(l) AS fl, FLOOR(d) AS fd, CEIL(i) AS ci, CEIL(d) AS cd FROM s;
