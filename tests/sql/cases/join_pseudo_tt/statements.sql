-- Table-table, foreign-key and N-way joins: each table's ROWTIME is its own
-- row's; GROUP BY over a join reads them too.
CREATE TABLE o (id INT PRIMARY KEY, cid INT) WITH (KAFKA_TOPIC='o', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE c (id INT PRIMARY KEY, name STRING) WITH (KAFKA_TOPIC='c', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE x (id INT PRIMARY KEY, xv STRING) WITH (KAFKA_TOPIC='x', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE fk AS SELECT o.id, name, o.ROWTIME AS ot, c.ROWTIME AS ct FROM o JOIN c ON o.cid = c.id;
CREATE TABLE tt AS SELECT o.id, xv, o.ROWTIME AS ot, x.ROWTIME AS xt FROM o JOIN x ON o.id = x.id;
CREATE TABLE g AS SELECT c.id, SUM(o.ROWTIME) AS last_o FROM o JOIN c ON o.cid = c.id GROUP BY c.id;
