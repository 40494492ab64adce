-- LEFT foreign-key join whose left table has two key columns (ksqlDB's
-- "Should support left join with left key-column expression"): a row
-- without its right row gives NULLs at once; a right tombstone turns the
-- rows that matched it back to NULLs; a left tombstone deletes its row.
CREATE TABLE left_table (l_id BIGINT PRIMARY KEY, l_id_2_foreign_key BIGINT PRIMARY KEY, name VARCHAR, value BIGINT) WITH (kafka_topic='left_topic', format='JSON', partitions=1);
CREATE TABLE right_table (r_id BIGINT PRIMARY KEY, f1 VARCHAR, f2 BIGINT) WITH (kafka_topic='right_topic', format='JSON', partitions=1);
CREATE TABLE output AS SELECT l_id, l_id_2_foreign_key, r_id, name, f1 FROM left_table LEFT JOIN right_table ON l_id_2_foreign_key = r_id;
