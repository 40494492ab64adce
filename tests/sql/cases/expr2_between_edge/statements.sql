-- BETWEEN with reversed bounds matches nothing; mixed INT and DOUBLE; strings by code point.
CREATE STREAM s (d DOUBLE, s STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT d BETWEEN 1 AND 2 AS b12, d BETWEEN 2 AND 1 AS rev, d NOT BETWEEN 1.5 AND 1.75 AS nb, s BETWEEN 'a' AND 'b' AS sab FROM s;
