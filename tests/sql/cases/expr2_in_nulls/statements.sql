-- IN never matches NULL (a NULL value, or a NULL in the list): it is FALSE, not NULL, so
-- NOT IN is TRUE.
CREATE STREAM s (a INT, s STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT a IN (1, NULL, 3) AS i, a NOT IN (1, NULL) AS ni, s IN ('x', NULL) AS si, a IN (a + 0) AS self FROM s;
