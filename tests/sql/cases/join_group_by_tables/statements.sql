-- GROUP BY over a table-table join: a row that changes group leaves its old one.
CREATE TABLE emps (id INT PRIMARY KEY, dept INT, name STRING) WITH (KAFKA_TOPIC='emps', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE pay (id INT PRIMARY KEY, salary INT) WITH (KAFKA_TOPIC='pay', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE by_dept AS
  SELECT e.dept, COUNT(*) AS n, SUM(p.salary) AS total
  FROM emps e JOIN pay p ON e.id = p.id GROUP BY e.dept;
