-- Stream-stream INNER JOIN WITHIN 10 SECONDS, SELECT *: the columns are named
-- <alias>_<column>, the left join column L_A is the key. An out-of-order
-- record (l 2 at 15 s, after stream time 25 s) still joins: the default grace
-- is 24 hours.
CREATE STREAM l (a INT KEY, b INT) WITH (KAFKA_TOPIC='l', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM r (a INT KEY, c STRING) WITH (KAFKA_TOPIC='r', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM out AS SELECT * FROM l JOIN r WITHIN 10 SECONDS ON l.a = r.a;
