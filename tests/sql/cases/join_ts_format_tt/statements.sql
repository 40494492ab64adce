-- Table-table join of tables with TIMESTAMP_FORMAT: each row takes the later
-- of both sides' parsed times.
CREATE TABLE l (id INT PRIMARY KEY, at STRING, lv STRING) WITH (KAFKA_TOPIC='lt', VALUE_FORMAT='JSON', PARTITIONS=1, TIMESTAMP='at', TIMESTAMP_FORMAT='yyyy-MM-dd HH:mm:ss');
CREATE TABLE r (id INT PRIMARY KEY, rat STRING, rv STRING) WITH (KAFKA_TOPIC='rt', VALUE_FORMAT='JSON', PARTITIONS=1, TIMESTAMP='rat', TIMESTAMP_FORMAT='yyyy-MM-dd HH:mm:ss');
CREATE TABLE j AS SELECT l.id, lv, rv FROM l JOIN r ON l.id = r.id;
