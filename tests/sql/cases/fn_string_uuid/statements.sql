-- UUID() is a random version-4 UUID in its 36-character form.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT LEN(UUID()) AS n, UUID() LIKE '%-%-4%-%-%' AS v4, UUID() = UUID() AS same FROM s;
