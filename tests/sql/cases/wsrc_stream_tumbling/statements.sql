-- A stream declared over windowed keys (WINDOW_TYPE, WINDOW_SIZE): its
-- records' keys hold a window (time windows: the start), which WINDOWSTART
-- and WINDOWEND read and the result keeps.
CREATE STREAM s (k STRING KEY, v INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='Tumbling', WINDOW_SIZE='30 SECONDS');
CREATE STREAM o AS SELECT k, v * 10 AS v10, WINDOWSTART AS ws, WINDOWEND AS we FROM s WHERE v > 0;
