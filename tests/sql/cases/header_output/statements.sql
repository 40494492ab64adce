-- A result's records carry their input records' headers; the runner compares
-- them when the expected record gives "headers" (as ksqlDB's does; [] means
-- none). A join's records take the headers of the record that triggers them.
CREATE STREAM s (k STRING KEY, v BIGINT, h1 BYTES HEADER('abc'), h2 BYTES HEADER('def')) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM o AS SELECT k, h1, h2 FROM s;
CREATE STREAM l (a INT KEY, b INT, c BYTES HEADER('abc')) WITH (KAFKA_TOPIC='left', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM r (a INT KEY, b INT, c BYTES HEADER('def')) WITH (KAFKA_TOPIC='right', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM j AS SELECT * FROM l INNER JOIN r WITHIN 10 SECONDS ON l.a = r.a;
