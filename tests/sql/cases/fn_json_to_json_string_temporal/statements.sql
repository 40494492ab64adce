-- TO_JSON_STRING writes TIME, DATE and TIMESTAMP as ISO-8601 strings (ksqlDB's to_json_string tests); a TIME in whole seconds (LocalTime.ofSecondOfDay(ms / 1000)), so .123 is dropped.
CREATE STREAM s (t TIME, d DATE, ts TIMESTAMP) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT TO_JSON_STRING(t) AS jt, TO_JSON_STRING(d) AS jd, TO_JSON_STRING(ts) AS jts FROM s;
