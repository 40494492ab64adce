-- A BYTES field that is not base64 makes the record unreadable.
CREATE STREAM s (id INT, b BYTES) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT id, b, LEN(b) AS n FROM s;
