-- ksqlDB's join-with-custom-timestamp: "table table inner join with ts", and
-- a TIMESTAMP_FORMAT on the result's STRING column.
-- (F1, F2 aliased: ksqlDB names them so; Sluice names A.X without AS A_X.)
CREATE TABLE S1 (ID BIGINT PRIMARY KEY, NAME varchar, TS bigint) WITH (timestamp='TS', kafka_topic='s1', value_format='JSON', PARTITIONS=1);
CREATE TABLE S2 (ID BIGINT PRIMARY KEY, F1 varchar, F2 varchar) WITH (kafka_topic='s2', value_format='JSON', PARTITIONS=1);
CREATE TABLE S1_JOIN_S2 WITH(timestamp='TS') as SELECT S1.ID, S1.name as name, S1.ts as ts, s2.f1 AS f1, s2.f2 AS f2 from S1 join S2 ON s1.id = s2.id;
CREATE TABLE FMT WITH (TIMESTAMP='at', TIMESTAMP_FORMAT='yyyy-MM-dd') AS SELECT S1.ID, S2.F2 AS AT FROM S1 JOIN S2 ON S1.ID = S2.ID;
