-- A stream record with a null value goes through a projection as a null value (ksqlDB's none.json).
CREATE STREAM s (foo INT) WITH (KAFKA_TOPIC='s', KEY_FORMAT='NONE', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT * FROM s;
