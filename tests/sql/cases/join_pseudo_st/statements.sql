-- A table side's own ROWTIME and ROWOFFSET: those of the record that set its
-- row (kept with the row), not of the stream record that joins it.
CREATE STREAM s (id INT KEY, sv STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t (id INT PRIMARY KEY, tv STRING) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM j AS SELECT s.id, sv, tv, s.ROWTIME AS st, t.ROWTIME AS tt, t.ROWOFFSET + 100 AS tofs, s.ROWOFFSET AS sofs FROM s LEFT JOIN t ON s.id = t.id;
