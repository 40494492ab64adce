-- Another TIMESTAMP column: refused.
CREATE STREAM a (id INT KEY, ts BIGINT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE OR REPLACE STREAM a (id INT KEY, ts BIGINT) WITH (kafka_topic='a', value_format='JSON', timestamp='ts');
