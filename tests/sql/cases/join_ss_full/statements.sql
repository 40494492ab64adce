-- Stream-stream FULL OUTER JOIN, SELECT *: the key is the synthetic ROWKEY
-- (the join key, whichever side is there), listed first; unmatched records of
-- either side come out with NULLs in time order once their window (10 s +
-- 5 s of grace) has closed.
CREATE STREAM l (a INT KEY, b INT) WITH (KAFKA_TOPIC='l', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM r (a INT KEY, c INT) WITH (KAFKA_TOPIC='r', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM out AS SELECT * FROM l FULL OUTER JOIN r WITHIN 10 SECONDS GRACE PERIOD 5 SECONDS ON l.a = r.a;
