-- A stream-stream join on expressions of both sides: both streams are
-- re-keyed by ABS(A) through repartition topics and the key is the synthetic
-- ROWKEY, here aliased; WHERE sees both sides.
CREATE STREAM l (a INT KEY, b INT) WITH (KAFKA_TOPIC='l', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM r (a INT KEY, c INT) WITH (KAFKA_TOPIC='r', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM out AS SELECT ROWKEY AS k, l.a, r.a, b + c AS total FROM l JOIN r WITHIN 1 MINUTE ON ABS(l.a) = ABS(r.a) WHERE c > 0;
