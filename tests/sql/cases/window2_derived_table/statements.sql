-- A table derived from a windowed table keeps its windows: its keys are the
-- source's windowed keys, and WINDOWSTART / WINDOWEND can be selected and filtered.
CREATE STREAM s (id INT KEY, user STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE counts AS SELECT user, COUNT(*) AS n FROM s
  WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 0 SECONDS) GROUP BY user;
CREATE TABLE busy AS SELECT user, n, WINDOWSTART AS ws, WINDOWEND AS we FROM counts
  WHERE n > 1 AND WINDOWSTART >= 10000;
