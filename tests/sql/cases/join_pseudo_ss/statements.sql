-- A side's own pseudo-columns in a join: L.ROWTIME, R.ROWOFFSET … are those
-- of that side's record (ksqlDB copies them into each side's rows: L_ROWTIME
-- …), unqualified ROWTIME the joined record's; SELECT * does not list them.
CREATE STREAM l (id INT KEY, lv STRING) WITH (KAFKA_TOPIC='l', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM r (id INT KEY, rv STRING) WITH (KAFKA_TOPIC='r', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM j AS SELECT l.id, lv, rv, l.ROWTIME AS lt, r.ROWTIME AS rt, ROWTIME AS jt, l.ROWOFFSET AS lo, r.ROWOFFSET AS ro, r.ROWPARTITION AS rp FROM l JOIN r WITHIN 10 SECONDS ON l.id = r.id WHERE l.ROWTIME < r.ROWTIME;
CREATE STREAM s AS SELECT * FROM l JOIN r WITHIN 10 SECONDS ON l.id = r.id;
