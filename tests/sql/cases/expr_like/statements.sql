-- LIKE with % and _; case-sensitive; NULL does not match (FALSE), so NOT LIKE is TRUE.
CREATE STREAM s (s STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT s LIKE 'a%' AS starts, s LIKE '%c' AS ends, s LIKE '_b_' AS three, s NOT LIKE '%b%' AS nob, s LIKE 'abc' AS exact FROM s;
