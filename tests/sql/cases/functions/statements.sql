CREATE STREAM events (id INT KEY, name STRING, tags ARRAY<STRING>, score DECIMAL(6, 2)) WITH (KAFKA_TOPIC='events', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM shaped AS SELECT
  id,
  CONCAT(UCASE(SUBSTRING(name, 1, 1)), LCASE(SUBSTRING(name, 2))) AS name,
  ARRAY_LENGTH(tags) AS ntags,
  TRANSFORM(tags, t => UCASE(t)) AS upper_tags,
  CAST(score AS INT) AS whole,
  COALESCE(tags[1], 'none') AS first_tag,
  name LIKE 'a%' AS starts_with_a
FROM events;
