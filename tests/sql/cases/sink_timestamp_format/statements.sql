-- ksqlDB's timestampformat "override output timestamp for CSAS using a string
-- TIMESTAMP_FORMAT": a time that does not parse drops the record; a query
-- over the result reads the same time.
CREATE STREAM TEST (K STRING KEY, ID bigint, EVENT_TS varchar) WITH (kafka_topic='test_topic', value_format='JSON', PARTITIONS=1);
CREATE STREAM TS WITH (timestamp='event_ts', timestamp_format='yyyy-MM-dd''T''HH:mm:ssX') AS SELECT K, id, event_ts FROM test;
CREATE STREAM TS2 AS SELECT K, ID, ROWTIME AS RT FROM TS;
