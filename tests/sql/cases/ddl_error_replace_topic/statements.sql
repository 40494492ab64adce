-- Another topic, or other formats: refused.
CREATE STREAM a (id INT KEY, col1 INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE OR REPLACE STREAM a (id INT KEY, col1 INT) WITH (kafka_topic='a', value_format='DELIMITED');
