-- GROUP BY a header's value (re-keyed through a repartition topic that carries the header columns), and an aggregate of one.
CREATE STREAM s (k STRING KEY, a INT, tenant BYTES HEADER('tenant')) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT FROM_BYTES(tenant, 'utf8') AS tenant, COUNT(*) AS n, SUM(a) AS total FROM s GROUP BY FROM_BYTES(tenant, 'utf8');
CREATE TABLE u AS SELECT k, COLLECT_LIST(FROM_BYTES(tenant, 'utf8')) AS tenants FROM s GROUP BY k;
