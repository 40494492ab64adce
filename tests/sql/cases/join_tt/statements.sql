-- Table-table joins on the primary keys, results as tables (Kafka Streams'
-- KTable-KTable join table: a result's time is the later of the two rows').
-- INNER: a row only when both sides have one, a tombstone when one goes;
-- LEFT: every left row; RIGHT: every right row (its key R_ID); FULL OUTER,
-- SELECT *: every row of either, keyed by the synthetic ROWKEY.
CREATE TABLE l (id INT PRIMARY KEY, lv STRING) WITH (KAFKA_TOPIC='lt', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE r (id INT PRIMARY KEY, rv STRING) WITH (KAFKA_TOPIC='rt', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE inner_t AS SELECT l.id, lv, rv FROM l JOIN r ON l.id = r.id;
CREATE TABLE left_t AS SELECT l.id, lv, rv FROM l LEFT JOIN r ON l.id = r.id;
CREATE TABLE right_t AS SELECT r.id, lv, rv FROM l RIGHT JOIN r ON l.id = r.id;
CREATE TABLE full_t AS SELECT * FROM l FULL OUTER JOIN r ON l.id = r.id;
