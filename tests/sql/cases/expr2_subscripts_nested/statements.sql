-- Subscripts and -> together: arrays are 1-based, a negative index counts from the end,
-- 0 and any index out of range give NULL; a map of structs; an index from a column.
CREATE STREAM s (st STRUCT<ITEMS ARRAY<STRUCT<NAME STRING>>>, aa ARRAY<ARRAY<INT>>, m MAP<STRING, STRUCT<X INT>>, i INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT st->ITEMS[1]->NAME AS first, st->ITEMS[-1]->NAME AS last, st->ITEMS[0]->NAME AS zero, st->ITEMS[-4]->NAME AS before, st->ITEMS[4]->NAME AS after, aa[2][-1] AS inr, m['k']->X AS mx, aa[i][i] AS byi FROM s;
