-- REGEXP_EXTRACT_ALL: documented example; no match is an empty array.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT REGEXP_EXTRACT_ALL('(\w+) (\w+)', x, 2) AS a, REGEXP_EXTRACT_ALL('[0-9]+', x) AS b FROM s;
