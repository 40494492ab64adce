-- An unknown WINDOW_TYPE: refused with ksqlDB's message.
CREATE STREAM s (k STRING KEY, v INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='Unknown');
