-- ENCODE between hex, utf8, ascii and base64.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT ENCODE(x, 'utf8', 'hex') AS h, ENCODE(x, 'utf8', 'base64') AS b, ENCODE('4b61666b61', 'hex', 'utf8') AS u, ENCODE('S2Fma2E=', 'base64', 'ascii') AS a FROM s;
