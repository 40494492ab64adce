-- A table function over a table-table join (a table result) is refused as
-- over a table source.
CREATE TABLE a (id STRING PRIMARY KEY, arr ARRAY<INT>) WITH (KAFKA_TOPIC='a', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE b (id STRING PRIMARY KEY, y STRING) WITH (KAFKA_TOPIC='b', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT a.id, EXPLODE(a.arr) AS e FROM a JOIN b ON a.id = b.id;
