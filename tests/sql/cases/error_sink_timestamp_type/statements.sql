CREATE STREAM TEST (K STRING KEY, ID bigint, EVENT_TS int) WITH (kafka_topic='test_topic', value_format='JSON', PARTITIONS=1);
CREATE STREAM TS WITH (timestamp='event_ts') AS SELECT K, id, event_ts FROM test;
