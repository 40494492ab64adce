-- DEFINE sets ${var} for the statements after it: in names, in WITH, inside string literals.
DEFINE topic = 'src';
DEFINE Min = '10';
CREATE STREAM s (id INT KEY, v INT) WITH (KAFKA_TOPIC='${topic}', VALUE_FORMAT='JSON', PARTITIONS=1);
DEFINE label = 'big';
CREATE STREAM t AS SELECT id, v, '${label}' AS what FROM s WHERE v > ${MIN};
