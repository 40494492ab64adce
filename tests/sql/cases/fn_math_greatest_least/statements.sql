-- GREATEST and LEAST ignore NULLs; all NULL gives NULL.
CREATE STREAM s (a INT, b INT, c INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT GREATEST(a, b, c) AS g, LEAST(a, b, c) AS l, GREATEST('apple', 'cherry', 'banana') AS gs FROM s;
