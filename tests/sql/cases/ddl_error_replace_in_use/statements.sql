-- CREATE OR REPLACE of a source stream a running query reads is refused
-- (Sluice does not yet replace a source under its readers, as ksqlDB does
-- when columns are only added): nothing is left half-replaced.
CREATE STREAM s (id INT KEY, u STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM x AS SELECT * FROM s;
CREATE OR REPLACE STREAM s (id INT KEY, u STRING, v STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
