INSERT INTO nowhere (a) VALUES (1);
