-- Stream-stream LEFT JOIN WITHIN (1 SECOND, 60 SECONDS) GRACE PERIOD 10
-- SECONDS: a shipment joins an order when it is at most 1 s before and 60 s
-- after it. The shipments stream is re-keyed by ORDER_ID (a repartition
-- topic). An order without a shipment is emitted with NULLs, at its own time,
-- once stream time passes its time + 60 s + 10 s (Kafka 3.1+ semantics).
CREATE STREAM orders (id INT KEY, item STRING) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM shipments (sid INT KEY, order_id INT, carrier STRING) WITH (KAFKA_TOPIC='shipments', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM shipped AS
  SELECT o.id, item, carrier FROM orders o
  LEFT JOIN shipments s WITHIN (1 SECOND, 60 SECONDS) GRACE PERIOD 10 SECONDS ON o.id = s.order_id;
