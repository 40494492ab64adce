-- DATE, TIME and TIMESTAMP in JSON: days, milliseconds of the day, epoch milliseconds.
CREATE STREAM s (d DATE, t TIME, ts TIMESTAMP) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT d, t, ts FROM s;
