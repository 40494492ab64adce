-- A table-table join's result takes the later of the two rows' times (Kafka
-- Streams' KTable-KTable joins, so ksqlDB's): a change older than the other
-- side's row gives a row at that row's time; a change with nothing on the
-- other side, at its own time.
CREATE TABLE l (id INT PRIMARY KEY, lv STRING) WITH (KAFKA_TOPIC='lt', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE r (id INT PRIMARY KEY, rv STRING) WITH (KAFKA_TOPIC='rt', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE inner_t AS SELECT l.id, lv, rv FROM l JOIN r ON l.id = r.id;
CREATE TABLE left_t AS SELECT l.id, lv, rv FROM l LEFT JOIN r ON l.id = r.id;
