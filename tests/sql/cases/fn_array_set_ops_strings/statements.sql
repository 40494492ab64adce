-- The array set functions keep NULL as a value: documented examples.
CREATE STREAM s (a ARRAY<STRING>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT ARRAY_DISTINCT(a) AS d, ARRAY_EXCEPT(a, ARRAY['cherry']) AS e, ARRAY_INTERSECT(a, ARRAY['apple']) AS i, ARRAY_UNION(a, ARRAY['cherry']) AS u FROM s;
