-- CREATE OR REPLACE of a source stream a running query reads, adding a
-- column at the end (ksqlDB's query-upgrades "ddl evolution"): B, compiled
-- before, keeps the columns it read; C, compiled after, reads the new one,
-- from the same topic.
CREATE STREAM s (id INT KEY, u STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM b AS SELECT * FROM s;
CREATE OR REPLACE STREAM s (id INT KEY, u STRING, v STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM c AS SELECT * FROM s;
CREATE STREAM d AS SELECT id, v FROM s WHERE v IS NOT NULL;
