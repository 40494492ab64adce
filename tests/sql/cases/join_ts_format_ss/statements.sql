-- Stream-stream join of sources whose STRING TIMESTAMP columns are read with
-- TIMESTAMP_FORMAT (ksqlDB's StringTimestampExtractor on each side): the
-- window is over those times, a record whose time does not parse is dropped.
CREATE STREAM l (id INT KEY, at STRING, lv STRING) WITH (KAFKA_TOPIC='l', VALUE_FORMAT='JSON', PARTITIONS=1, TIMESTAMP='at', TIMESTAMP_FORMAT='yyyy-MM-dd HH:mm:ss');
CREATE STREAM r (id INT KEY, rat STRING, rv STRING) WITH (KAFKA_TOPIC='r', VALUE_FORMAT='JSON', PARTITIONS=1, TIMESTAMP='rat', TIMESTAMP_FORMAT='dd/MM/yyyy HH:mm');
CREATE STREAM j AS SELECT l.id, lv, rv, ROWTIME AS rt FROM l JOIN r WITHIN 1 MINUTE ON l.id = r.id;
