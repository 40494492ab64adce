-- SPLIT_TO_MAP: documented example; a repeated key keeps the last value; an empty delimiter gives NULL.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT SPLIT_TO_MAP(x, '/', ':=') AS m, SPLIT_TO_MAP(x, '', ':=') AS e FROM s;
