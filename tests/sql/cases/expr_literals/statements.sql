-- Literals: INT, BIGINT, DECIMAL, DOUBLE (exponent), quoted quote, booleans.
CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT 1 AS i, 10000000000 AS b, 1.5 AS d, 1.5e2 AS e, 'it''s' AS s, true AS t, false AS f, -2 AS n FROM s;
