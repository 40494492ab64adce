-- A query's result takes its windows from the query: WINDOW_TYPE is not one of its properties.
CREATE STREAM s (k STRING KEY, v INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM o WITH (WINDOW_TYPE='SESSION') AS SELECT * FROM s;
