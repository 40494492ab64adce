-- ksqlDB's timestampformat "override output timestamp for CTAS": a table's
-- changelog records take their time from the column; a negative time is not
-- written; a deleted row's tombstone takes the stream time.
CREATE TABLE TEST (K STRING PRIMARY KEY, ID bigint) WITH (kafka_topic='test_topic', value_format='JSON', PARTITIONS=1);
CREATE TABLE TS WITH (timestamp='sink_ts') AS SELECT K, id as sink_ts, id FROM test;
