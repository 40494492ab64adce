-- WHERE NOT: a comparison with NULL is FALSE (ksqlDB), so its negation passes.
CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT a FROM s WHERE NOT (a < 3);
