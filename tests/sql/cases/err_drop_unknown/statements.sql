DROP STREAM nowhere;
