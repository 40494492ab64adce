-- GROUP BY over a join of windowed streams (a persistent query: ksqlDB
-- refuses only those reading a windowed table): the joined rows are
-- re-grouped without their windows, which WHERE and the aggregates read as
-- WINDOWSTART / WINDOWEND (either source's name qualifies them: one window).
CREATE STREAM l (id INT KEY, a STRING) WITH (KAFKA_TOPIC='l', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='TUMBLING', WINDOW_SIZE='10 SECONDS');
CREATE STREAM r (id INT KEY, b STRING) WITH (KAFKA_TOPIC='r', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='TUMBLING', WINDOW_SIZE='10 SECONDS');
CREATE TABLE g AS SELECT l.id, COUNT(*) AS n, COLLECT_LIST(r.WINDOWSTART) AS starts, MAX(l.WINDOWEND) AS last_end FROM l JOIN r WITHIN 1 MINUTE ON l.id = r.id WHERE WINDOWEND > 0 GROUP BY l.id;
