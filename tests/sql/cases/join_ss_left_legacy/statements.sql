-- Stream-stream LEFT and FULL OUTER JOIN without GRACE PERIOD: ksqlDB's
-- legacy semantics (Kafka Streams before 3.1): a record that finds no
-- partner when it comes is emitted with NULLs at once, and joins the
-- partners that come later as well.
CREATE STREAM l (a INT KEY, b INT) WITH (KAFKA_TOPIC='l', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM r (a INT KEY, c INT) WITH (KAFKA_TOPIC='r', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM o AS SELECT l.a, b, c FROM l LEFT JOIN r WITHIN 10 SECONDS ON l.a = r.a;
CREATE STREAM f AS SELECT ROWKEY AS k, b, c FROM l FULL OUTER JOIN r WITHIN 10 SECONDS ON l.a = r.a;
