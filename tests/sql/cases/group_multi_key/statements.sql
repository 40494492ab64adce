-- Two grouping columns make a JSON key; MIN over strings, LATEST_BY_OFFSET.
CREATE STREAM visits (id INT KEY, region STRING, page STRING, visitor STRING) WITH (KAFKA_TOPIC='visits', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE page_stats AS
  SELECT region, page, COUNT(visitor) AS visitors, MIN(visitor) AS first_name, LATEST_BY_OFFSET(visitor) AS last_visitor
  FROM visits GROUP BY region, page;
