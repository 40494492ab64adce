-- Lengths and positions count UTF-16 units, as Java does: an emoji is 2; cutting a surrogate pair leaves '?'. (MASK classes are ASCII-only here, so é masks as other.)
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT LEN(x) AS l, INSTR(x, 'b') AS i, SUBSTRING(x, 2, 2) AS s2, SUBSTRING(x, 3) AS s3, LPAD(x, 6, '*') AS lp, RPAD(x, 2, '*') AS rp, MASK_LEFT(x, 3) AS ml FROM s;
