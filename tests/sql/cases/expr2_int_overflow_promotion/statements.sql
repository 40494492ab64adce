-- INT and BIGINT arithmetic wraps as Java's does; INT with BIGINT is BIGINT and does not
-- wrap at 2^31; negating INT_MIN gives INT_MIN.
CREATE STREAM s (i INT, b BIGINT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT i + 1 AS ip, i * i AS isq, i + b AS ib, b + 1 AS bp, b * 2 AS bm, -(i + 1) AS neg FROM s;
