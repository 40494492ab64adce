-- Rows inserted with INSERT INTO … VALUES reach the query before the inputs.
CREATE STREAM prices (sku STRING KEY, price DECIMAL(8, 2), qty INT) WITH (KAFKA_TOPIC='prices', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM dear AS SELECT sku, price * qty AS total FROM prices WHERE price > 10;
INSERT INTO prices (sku, price, qty, ROWTIME) VALUES ('a1', 12.50, 2, 100);
INSERT INTO prices VALUES ('b2', 3, 10);
INSERT INTO prices (qty, sku, price) VALUES (1, 'c3', 99.99);
