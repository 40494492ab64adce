-- A windowed stream joined on a column that is not its key: it would need a re-key (refused, ksqlDB's message).
CREATE STREAM l (id INT KEY, a INT) WITH (KAFKA_TOPIC='l', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='TUMBLING', WINDOW_SIZE='10 SECONDS');
CREATE STREAM r (id INT KEY, b STRING) WITH (KAFKA_TOPIC='r', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='TUMBLING', WINDOW_SIZE='10 SECONDS');
CREATE STREAM j AS SELECT l.id AS id, a, b FROM l JOIN r WITHIN 1 MINUTE ON l.a = r.id;
