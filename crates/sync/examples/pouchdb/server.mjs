// The peer's server as its own process: express-pouchdb on pouchdb-node (LevelDB on disk).
// Usage: node server.mjs DIR — databases live in DIR; runs until killed.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import expressPouchDB from 'express-pouchdb';
import PouchDB from 'pouchdb-node';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node server.mjs DIR');
  process.exit(2);
}
mkdirSync(dir, { recursive: true }); // LevelDB creates a database's folder, not its parents

// 'minimumForPouchDB' leaves out config, log files and request logging: only what replication uses.
const app = express();
app.use(expressPouchDB(PouchDB.defaults({ prefix: path.join(dir, '/') }), { mode: 'minimumForPouchDB' }));

const server = app.listen(0, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
  // The parent reads only the first stdout line; anything express-pouchdb logs later goes to stderr.
  console.log = console.error;
});
