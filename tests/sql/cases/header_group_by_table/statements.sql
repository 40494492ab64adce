-- GROUP BY over a table with a header column (ksqlDB's "Can use header
-- columns in group by clauses"): a changed row leaves the group of its old
-- header's value, which the table's row keeps, whatever the new record's.
CREATE TABLE test (id INT PRIMARY KEY, data STRING, head BYTES HEADER('abc')) WITH (KAFKA_TOPIC='test_topic', FORMAT='JSON', PARTITIONS=1);
CREATE TABLE output AS SELECT head AS new_key, COUNT(*) AS count FROM test GROUP BY head;
