-- EXPLODE of an array of structs, unaliased (KSQL_COL_0), after WHERE; the rows keep the record's time.
CREATE STREAM orders (id STRING KEY, lines ARRAY<STRUCT<sku STRING, qty INT>>, total DOUBLE) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM lines AS SELECT id, EXPLODE(lines) FROM orders WHERE total > 10;
