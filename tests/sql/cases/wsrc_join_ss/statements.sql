-- Stream-stream join of windowed streams (TUMBLING, the same size): a record
-- joins the other side's records of the same key in the same window (the key
-- holds the window) within the join window; the result keeps the windows.
CREATE STREAM l (id INT KEY, a STRING) WITH (KAFKA_TOPIC='l', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='TUMBLING', WINDOW_SIZE='10 SECONDS');
CREATE STREAM r (id INT KEY, b STRING) WITH (KAFKA_TOPIC='r', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='TUMBLING', WINDOW_SIZE='10 SECONDS');
CREATE STREAM j AS SELECT l.id AS id, a, b, WINDOWSTART AS ws FROM l JOIN r WITHIN 1 MINUTE ON l.id = r.id;
CREATE STREAM lj AS SELECT l.id AS id, a, b FROM l LEFT JOIN r WITHIN 1 MINUTE GRACE PERIOD 0 SECONDS ON l.id = r.id;
