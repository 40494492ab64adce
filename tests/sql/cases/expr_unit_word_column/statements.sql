-- A column named like a time unit (DAY) is the column inside a call; DAYS with no such column is the unit.
CREATE STREAM s (id INT KEY, day INT, ts TIMESTAMP) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT id, ABS(day) AS d, TIMESTAMPADD(DAYS, day, ts) AS later FROM s;
