-- Two tables joined on their keys, then a foreign-key join from a column of the result.
CREATE TABLE orders (oid INT PRIMARY KEY, cust INT) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE details (oid INT PRIMARY KEY, note STRING) WITH (KAFKA_TOPIC='details', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE custs (cid INT PRIMARY KEY, name STRING) WITH (KAFKA_TOPIC='custs', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT o.oid AS oid, note, name FROM orders o JOIN details d ON o.oid = d.oid JOIN custs c ON o.cust = c.cid;
