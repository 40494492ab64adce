SET 'ksql.functions.collect_list.limit' = 'many';
CREATE STREAM s (id INT KEY, g STRING, v STRING, k INT, flag BOOLEAN) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
