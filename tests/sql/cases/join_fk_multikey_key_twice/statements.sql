-- A key column of the left table selected twice.
CREATE TABLE left_table (l_id_1 BIGINT PRIMARY KEY, l_id_2 BIGINT PRIMARY KEY, f1 VARCHAR, foreign_key BIGINT) WITH (kafka_topic='left_topic', format='JSON', partitions=1);
CREATE TABLE right_table (r_id BIGINT PRIMARY KEY, f2 BIGINT) WITH (kafka_topic='right_topic', format='JSON', partitions=1);
CREATE TABLE output AS SELECT l_id_1, l_id_2, l_id_2 AS dup, f1, f2 FROM left_table JOIN right_table ON foreign_key = r_id;
