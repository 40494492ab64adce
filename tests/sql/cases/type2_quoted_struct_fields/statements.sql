-- Quoted struct field names keep their case and spaces.
CREATE STREAM s (`st` STRUCT<`a b` INT, `C` STRING, d BOOLEAN>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT `st`, `st`->`a b` AS `ab`, `st`->D AS d FROM s;
