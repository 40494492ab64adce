-- Two table functions are zipped: as many rows as the longest, the other padded with NULL.
CREATE STREAM cb (country STRING KEY, names ARRAY<STRING>, ages ARRAY<INT>) WITH (KAFKA_TOPIC='cb', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM cc AS SELECT country, EXPLODE(names) AS name, EXPLODE(ages) AS age FROM cb;
