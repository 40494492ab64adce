-- A column qualified by its source's name.
CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT s.a AS x, a AS y FROM s;
