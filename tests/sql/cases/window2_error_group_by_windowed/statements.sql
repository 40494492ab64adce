-- Re-aggregating a windowed table in a persistent query is refused, as ksqlDB
-- refuses every persistent query over a windowed table.
CREATE STREAM s (id INT KEY, user STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE counts AS SELECT user, COUNT(*) AS n FROM s WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY user;
CREATE TABLE totals AS SELECT n, COUNT(*) AS c FROM counts GROUP BY n;
