-- A windowed aggregate grouped by two columns: a JSON key plus the window;
-- LATEST_BY_OFFSET and COLLECT_LIST per window.
CREATE STREAM s (id INT KEY, region STRING, page STRING, ms INT) WITH (KAFKA_TOPIC='s', KEY_FORMAT='JSON', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT region, page, COLLECT_LIST(ms) AS times, LATEST_BY_OFFSET(ms) AS last_ms FROM s
  WINDOW TUMBLING (SIZE 1 SECOND, GRACE PERIOD 0 SECONDS) GROUP BY region, page;
