-- EXPLODE in a stream-stream join re-keyed by PARTITION BY: the rows of
-- each joined record all take the new key.
CREATE STREAM l (k STRING KEY, arr ARRAY<INT>, g STRING) WITH (KAFKA_TOPIC='l', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM r (k STRING KEY, v INT) WITH (KAFKA_TOPIC='r', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM out AS SELECT l.g AS grp, r.v, EXPLODE(l.arr) AS e FROM l JOIN r WITHIN 1 MINUTE ON l.k = r.k PARTITION BY l.g;
