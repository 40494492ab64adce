-- ARRAY_CONCAT: documented examples; NULL only when both are NULL.
CREATE STREAM s (a ARRAY<INT>, b ARRAY<INT>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT ARRAY_CONCAT(a, b) AS c, ARRAY_CONCAT(ARRAY['apple', 'apple', NULL, 'cherry'], ARRAY['cherry']) AS s FROM s;
