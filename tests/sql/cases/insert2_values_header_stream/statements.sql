-- INSERT VALUES without a column list on a stream with header columns gives
-- values for the key and value columns only (headers are not written).
CREATE STREAM s (id INT KEY, v INT, h BYTES HEADER('h')) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM out AS SELECT id, v FROM s;
INSERT INTO s VALUES (1, 10);
