-- Division by zero: INT, BIGINT and DECIMAL fail (the column is NULL, the row goes out);
-- DOUBLE follows IEEE 754 (Infinity, NaN).
CREATE STREAM s (i INT, l BIGINT, d DOUBLE, m DECIMAL(4, 2)) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT i / 0 AS iq, l % 0 AS lr, d / 0 AS dq, -d / 0.0e0 AS dn, d * 0 / 0 AS nan, m / 0 AS mq, m % 0 AS mr, i + 1 AS ok FROM s;
