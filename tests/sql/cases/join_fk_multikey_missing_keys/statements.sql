-- None of the left table's key columns selected (a LEFT join): ksqlDB's
-- message lists them all.
CREATE TABLE left_table (l_id_1 BIGINT PRIMARY KEY, l_id_2 BIGINT PRIMARY KEY, f1 VARCHAR, foreign_key BIGINT) WITH (kafka_topic='left_topic', format='JSON', partitions=1);
CREATE TABLE right_table (r_id BIGINT PRIMARY KEY, f2 BIGINT) WITH (kafka_topic='right_topic', format='JSON', partitions=1);
CREATE TABLE output AS SELECT f1, foreign_key, r_id, f2 FROM left_table LEFT JOIN right_table ON foreign_key = r_id;
