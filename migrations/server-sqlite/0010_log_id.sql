-- The log's id: a device's cursor counts in one log. Restoring a backup starts another
-- (`desk-server admin restore`), so devices notice and hand back what the backup lacks.
INSERT INTO server_meta (key, value) VALUES ('log', lower(hex(randomblob(16))));
