-- A table function over a windowed stream: each row keeps the record's key
-- in its window.
CREATE STREAM s (k STRING KEY, xs ARRAY<INT>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='SESSION');
CREATE STREAM o AS SELECT k, EXPLODE(xs) AS x FROM s;
