-- An aggregate called without arguments, AGG(*) or AGG(), reads ROWTIME,
-- ksqlDB's default argument (COUNT(*) counts the rows either way).
CREATE STREAM s (id INT KEY, g STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE o AS SELECT g, MAX(*) AS last, MIN() AS first, COLLECT_LIST(*) AS times, LATEST_BY_OFFSET(*) AS latest, COUNT(*) AS n FROM s GROUP BY g;
