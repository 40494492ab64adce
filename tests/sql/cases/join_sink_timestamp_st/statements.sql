-- ksqlDB's join-with-custom-timestamp: "stream table join with ts extractor
-- both sides".
-- (F1, F2 aliased: ksqlDB names them so; Sluice names A.X without AS A_X.)
CREATE STREAM S1 (ID BIGINT KEY, NAME varchar, TS bigint) WITH (timestamp='TS', kafka_topic='s1', value_format='JSON', PARTITIONS=1);
CREATE TABLE  T1 (ID BIGINT PRIMARY KEY, F1 varchar, F2 varchar, RTS bigint) WITH (timestamp='RTS', kafka_topic='t1', value_format='JSON', PARTITIONS=1);
CREATE STREAM S1_JOIN_T1 WITH(timestamp='TS') as SELECT S1.ID, S1.name as name, S1.ts as ts, T1.f1 AS f1, T1.f2 AS f2 from S1 inner join T1 ON s1.id = t1.id;
