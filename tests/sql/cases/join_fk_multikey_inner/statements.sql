-- A foreign-key join whose left table has two key columns (ksqlDB's "Should
-- support inner join with left key-column expression"): the result is keyed
-- by the left table's whole key, in its key format. A right tombstone
-- deletes the rows that matched it; a left tombstone deletes its row.
CREATE TABLE left_table (l_id BIGINT PRIMARY KEY, l_id_2_foreign_key BIGINT PRIMARY KEY, name VARCHAR, value BIGINT) WITH (kafka_topic='left_topic', format='JSON', partitions=1);
CREATE TABLE right_table (r_id BIGINT PRIMARY KEY, f1 VARCHAR, f2 BIGINT) WITH (kafka_topic='right_topic', format='JSON', partitions=1);
CREATE TABLE output AS SELECT l_id, l_id_2_foreign_key, r_id, name, f1 FROM left_table JOIN right_table ON l_id_2_foreign_key = r_id;
