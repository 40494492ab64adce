-- CUBE_EXPLODE: every combination of the elements with the others NULL; a NULL element is not repeated.
CREATE STREAM s (id INT KEY, a STRING, b INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM c AS SELECT id, CUBE_EXPLODE(ARRAY[a, CAST(b AS STRING)]) AS combo FROM s;
