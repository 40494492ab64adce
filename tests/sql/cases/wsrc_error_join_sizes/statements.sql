-- Windowed streams of time windows of other sizes: their keys would need re-serializing (refused as ksqlDB refuses re-keying a windowed source).
CREATE STREAM l (id INT KEY, a STRING) WITH (KAFKA_TOPIC='l', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='TUMBLING', WINDOW_SIZE='10 SECONDS');
CREATE STREAM r (id INT KEY, b STRING) WITH (KAFKA_TOPIC='r', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='TUMBLING', WINDOW_SIZE='20 SECONDS');
CREATE STREAM j AS SELECT l.id AS id, a, b FROM l JOIN r WITHIN 1 MINUTE ON l.id = r.id;
