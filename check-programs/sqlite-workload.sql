-- The sqlite3 workload of check-programs/run.py: run once on glibc and once
-- under libvmmalloc; the two outputs must be the same, byte for byte.
-- @ROWS@ is replaced by the number of rows (the runner's scale). Every value
-- comes from the row number (no random()), so the output is fixed.
PRAGMA cache_size = -262144;
PRAGMA temp_store = MEMORY;
PRAGMA journal_mode = MEMORY;

CREATE TABLE item(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, body TEXT, price REAL, tags TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @ROWS@)
INSERT INTO item
SELECT i, (i * 7919) % 997,
       printf('item-%08d-%s', i, hex(i * 2654435761 % 4294967296)),
       substr(replace(printf('%.*c', 1 + (i * 31) % 1500, 'x'), 'x', char(97 + i % 26, 98 + i % 24, 32)), 1, 1 + (i * 31) % 1500),
       ((i * 104729) % 100000) / 100.0,
       json_array(i % 3, 'tag' || (i % 17), json_object('k', i % 101, 'v', printf('%x', i)))
FROM n;

CREATE INDEX item_grp ON item(grp, price);
CREATE INDEX item_name ON item(name);
CREATE TABLE grp(id INTEGER PRIMARY KEY, label TEXT);
INSERT INTO grp SELECT DISTINCT grp, 'group ' || grp FROM item ORDER BY grp;

-- Aggregates, joins, sorting, grouping.
SELECT count(*), sum(length(body)), round(sum(price), 2), min(name), max(name) FROM item;
SELECT g.label, count(*), round(avg(i.price), 4), max(length(i.body))
  FROM item i JOIN grp g ON g.id = i.grp GROUP BY g.id ORDER BY count(*) DESC, g.id LIMIT 25;
SELECT grp, group_concat(id, ',') FROM (SELECT grp, id FROM item WHERE id % 1000 = 0 ORDER BY grp, id) GROUP BY grp ORDER BY grp LIMIT 40;
SELECT name, price FROM item ORDER BY body DESC, id LIMIT 20;
SELECT count(DISTINCT body), count(DISTINCT substr(body, 1, 40)) FROM item;

-- Window functions over the whole table.
SELECT id, grp, price, rank() OVER w, round(sum(price) OVER w, 2)
  FROM item WINDOW w AS (PARTITION BY grp ORDER BY price, id)
  ORDER BY id LIMIT 30 OFFSET 5000;
SELECT grp, max(r) FROM (SELECT grp, row_number() OVER (PARTITION BY grp ORDER BY name) AS r FROM item) GROUP BY grp ORDER BY grp LIMIT 30;

-- JSON, strings.
SELECT json_extract(tags, '$[2].k') AS k, count(*), sum(json_array_length(tags)) FROM item GROUP BY k ORDER BY k LIMIT 20;
SELECT upper(substr(body, 1, 30)), length(replace(body, ' ', '')), instr(body, 'ab') FROM item WHERE id % 4999 = 0 ORDER BY id;
SELECT count(*) FROM item WHERE body LIKE '%yz%' OR name GLOB '*ff*';

-- Updates and deletes that move rows and rebuild indexes.
UPDATE item SET body = body || body, price = price * 1.5 WHERE id % 3 = 0;
DELETE FROM item WHERE id % 7 = 0;
INSERT INTO item(grp, name, body, price, tags) SELECT grp, name || '-copy', substr(body, 1, 100), price, tags FROM item WHERE id % 11 = 0;
SELECT count(*), sum(length(body)), round(sum(price), 2) FROM item;

-- A temporary table from a self-join, sorted in memory.
CREATE TEMP TABLE pairs AS
  SELECT a.id AS x, b.id AS y, length(a.body) + length(b.body) AS l
  FROM item a JOIN item b ON b.grp = a.grp AND b.id > a.id AND b.id < a.id + 5000
  WHERE a.id % 13 = 0;
SELECT count(*), sum(l), max(l) FROM pairs;
SELECT x, y, l FROM pairs ORDER BY l DESC, x, y LIMIT 15;

-- Full-text search, when this sqlite3 has FTS5 (Debian's has).
CREATE VIRTUAL TABLE doc USING fts5(name, body);
INSERT INTO doc SELECT name, body FROM item WHERE id % 5 = 0;
SELECT count(*) FROM doc WHERE doc MATCH 'ab OR cd';
SELECT name FROM doc WHERE doc MATCH 'xy' ORDER BY rank, name LIMIT 10;

-- Rebuild everything and check it.
REINDEX;
VACUUM;
PRAGMA integrity_check;
SELECT count(*), sum(length(body)), round(sum(price), 2) FROM item;
