-- ARRAY_LENGTH, ARRAY_MAX and ARRAY_MIN: empty arrays, NULL elements ignored, strings by
-- code point (upper case first), NULL array.
CREATE STREAM s (a ARRAY<INT>, s ARRAY<STRING>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT ARRAY_LENGTH(a) AS n, ARRAY_MAX(a) AS mx, ARRAY_MIN(a) AS mn, ARRAY_MAX(s) AS smx, ARRAY_MIN(s) AS smn FROM s;
