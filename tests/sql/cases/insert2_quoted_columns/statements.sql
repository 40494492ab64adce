-- Quoted column names in the column list.
CREATE STREAM s (`Id` STRING KEY, `my val` INT, other INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT * FROM s;
INSERT INTO s (`my val`, `Id`, OTHER) VALUES (7, 'q', 8);
