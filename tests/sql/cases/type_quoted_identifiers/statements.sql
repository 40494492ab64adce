-- Quoted identifiers keep their case (and may hold spaces).
CREATE STREAM s (`Name` STRING, `my col` INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT `Name` AS `Who`, `my col` * 2 AS `Double` FROM s;
