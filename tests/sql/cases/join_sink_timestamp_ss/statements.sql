-- ksqlDB's join-with-custom-timestamp: "stream stream inner join with ts
-- extractor both sides": the sources' TIMESTAMP columns set the window, the
-- result's WITH (TIMESTAMP) its records' time.
-- (F1, F2 aliased: ksqlDB names them so; Sluice names A.X without AS A_X.)
CREATE STREAM S1 (ID BIGINT KEY, NAME varchar, TS bigint) WITH (timestamp='TS', kafka_topic='s1', value_format='JSON', PARTITIONS=1);
CREATE STREAM S2 (ID BIGINT KEY, F1 varchar, F2 varchar, RTS bigint) WITH (timestamp='RTS', kafka_topic='s2', value_format='JSON', PARTITIONS=1);
CREATE STREAM S1_JOIN_S2 WITH(timestamp='TS') as SELECT S1.ID, S1.name as name, S1.ts as ts, s2.f1 AS f1, s2.f2 AS f2 from S1 join S2 WITHIN 11 SECONDS ON s1.id = s2.id;
