-- Lambdas over an array of structs, nested calls.
CREATE STREAM s (a ARRAY<STRUCT<NAME STRING, AGE INT>>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT TRANSFORM(FILTER(a, p => p->AGE >= 18), p => p->NAME) AS adults FROM s;
