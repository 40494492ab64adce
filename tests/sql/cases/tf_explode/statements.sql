-- EXPLODE: one row per element, scalar columns copied; a NULL or empty array gives none.
CREATE STREAM batches (id INT KEY, sensor STRING, readings ARRAY<INT>) WITH (KAFKA_TOPIC='batches', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM readings AS SELECT id, sensor, EXPLODE(readings) AS reading FROM batches;
