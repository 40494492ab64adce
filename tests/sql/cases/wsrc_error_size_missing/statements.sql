-- Time windows need WINDOW_SIZE (their keys hold only the start).
CREATE TABLE t (k STRING PRIMARY KEY, v INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='hopping');
