-- A foreign-key join's result is keyed by the left table's whole key: the
-- projection must select every key column (ksqlDB's message).
CREATE TABLE left_table (l_id_1 BIGINT PRIMARY KEY, l_id_2 BIGINT PRIMARY KEY, f1 VARCHAR, foreign_key BIGINT) WITH (kafka_topic='left_topic', format='JSON', partitions=1);
CREATE TABLE right_table (r_id BIGINT PRIMARY KEY, f2 BIGINT) WITH (kafka_topic='right_topic', format='JSON', partitions=1);
CREATE TABLE output AS SELECT l_id_1, f1, foreign_key, r_id, f2 FROM left_table JOIN right_table ON foreign_key = r_id;
