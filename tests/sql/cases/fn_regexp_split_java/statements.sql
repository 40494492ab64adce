-- REGEXP_SPLIT_TO_ARRAY as ksqlDB: a pattern matching '' splits like String.split (trailing empties dropped; as in Java an empty match right after a match makes an empty piece), any other like Guava's Splitter (all pieces kept).
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT REGEXP_SPLIT_TO_ARRAY(x, '') AS chars, REGEXP_SPLIT_TO_ARRAY(x, ',*') AS loose, REGEXP_SPLIT_TO_ARRAY(x, ',') AS strict, REGEXP_SPLIT_TO_ARRAY(x, '(?<=b),') AS after_b FROM s;
