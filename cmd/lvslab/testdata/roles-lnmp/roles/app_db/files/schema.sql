-- The application's tables and their first rows: imported by mysql_db
-- (state: import) when this file is new or changed.
CREATE TABLE IF NOT EXISTS visits (id INT PRIMARY KEY, page VARCHAR(64) NOT NULL);
INSERT IGNORE INTO visits VALUES (1, '/'), (2, '/index.php');
