-- Operator precedence: * / % before + -, left to right; unary minus; NOT before AND before
-- OR; arithmetic before comparison.
CREATE STREAM s (x INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT 2 + 3 * 4 AS a, (2 + 3) * 4 AS b, 10 - 2 - 3 AS c, 20 / 2 / 5 AS d, 7 % 3 * 2 AS e, -x * 2 AS f, x - -1 AS g, NOT TRUE AND FALSE AS h, TRUE OR FALSE AND FALSE AS i, 1 + 2 = 3 AS j, x + 1 > 5 AND x < 10 AS k FROM s;
