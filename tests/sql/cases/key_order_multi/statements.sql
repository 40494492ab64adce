-- A multi-column key selected out of order stays the source's key: its
-- columns keep the source's key order (the key bytes pass through), in a
-- table and in a stream.
CREATE TABLE t (a INT PRIMARY KEY, b INT PRIMARY KEY, v STRING) WITH (KAFKA_TOPIC='t', FORMAT='JSON', PARTITIONS=1);
CREATE TABLE u AS SELECT b, a, v FROM t;
CREATE STREAM s (a INT KEY, b INT KEY, v STRING) WITH (KAFKA_TOPIC='s', FORMAT='DELIMITED', PARTITIONS=1);
CREATE STREAM o AS SELECT b, v, a FROM s;
