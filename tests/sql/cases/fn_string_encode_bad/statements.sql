-- An unsupported encoding is a run-time error: the column is NULL, the row still goes out.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT x, ENCODE(x, 'utf8', 'rot13') AS e FROM s;
