-- An allocation-heavy sqlite3 session for the benchmark suite: an in-memory
-- database (its pages come from malloc) filled with @rows rows of text and
-- blobs of varied sizes, indexed, sorted, grouped, aggregated into long
-- strings, updated and deleted. Run as
--   sqlite3 -bail -cmd ".parameter set @rows 70000" :memory: < sqlite_workload.sql
-- Every check prints "check: ok ..." or stops the session with an error
-- (json() of a text that is not JSON), so sqlite3 -bail exits non-zero.
PRAGMA cache_size = -200000;
CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, body BLOB, note TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @rows)
INSERT INTO item
SELECT i,
       printf('item-%08d-%s', (i * 2654435761) % 1000003, substr('abcdefghijklmnopqrstuvwxyz', 1 + i % 26)),
       i % 1000,
       zeroblob(16 + (i * 37) % 700),
       printf('%.*c', (i * 13) % 200, 'n')
FROM n;
SELECT CASE WHEN count(*) = @rows AND sum(id) = @rows * (@rows + 1) / 2
            THEN 'check: ok rows' ELSE json('check failed: rows') END FROM item;

CREATE INDEX item_name ON item(name);
CREATE INDEX item_grp ON item(grp, length(body));
SELECT CASE WHEN (SELECT count(*) FROM item INDEXED BY item_name WHERE name >= '') = @rows
            THEN 'check: ok index' ELSE json('check failed: index') END;

-- Sorting and grouping build temporary b-trees in memory.
SELECT CASE WHEN count(*) = min(@rows, 1000)
            THEN 'check: ok groups' ELSE json('check failed: groups') END
FROM (SELECT grp, count(*) AS c, group_concat(name, ',') AS names FROM item GROUP BY grp ORDER BY c DESC, grp);
SELECT CASE WHEN count(*) = @rows AND count(DISTINCT name) > 0
            THEN 'check: ok sort' ELSE json('check failed: sort') END
FROM (SELECT name, note FROM item ORDER BY note, name DESC);
SELECT CASE WHEN length(j) > @rows
            THEN 'check: ok json' ELSE json('check failed: json') END
FROM (SELECT json_group_array(json_object('id', id, 'name', name)) AS j FROM item WHERE id % 3 = 0);

-- Rewrite every row with new sizes, then delete half: pages are freed and reused.
UPDATE item SET body = zeroblob(16 + (id * 91) % 900), note = upper(note) || name;
DELETE FROM item WHERE id % 2 = 0;
SELECT CASE WHEN count(*) = (@rows + 1) / 2 AND sum(length(body)) = (SELECT sum(16 + (id * 91) % 900) FROM item)
            THEN 'check: ok rewrite' ELSE json('check failed: rewrite') END FROM item;
VACUUM;
SELECT CASE WHEN (SELECT count(*) FROM item) = (@rows + 1) / 2
            THEN 'check: ok sqlite_workload' ELSE json('check failed: vacuum') END;
