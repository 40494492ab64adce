-- Stream-table join, both sides with a TIMESTAMP_FORMAT: the stream's
-- records and the table's rows take their parsed times; a table row whose
-- time does not parse is dropped (the row before it stays).
CREATE STREAM s (id INT KEY, at STRING, sv STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1, TIMESTAMP='at', TIMESTAMP_FORMAT='yyyy-MM-dd HH:mm:ss');
CREATE TABLE t (id INT PRIMARY KEY, tat STRING, tv STRING) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', PARTITIONS=1, TIMESTAMP='tat', TIMESTAMP_FORMAT='yyyyMMddHHmmss');
CREATE STREAM j AS SELECT s.id, sv, tv, ROWTIME AS rt FROM s JOIN t ON s.id = t.id;
CREATE STREAM lj AS SELECT s.id, sv, tv, ROWTIME AS rt FROM s LEFT JOIN t ON s.id = t.id;
