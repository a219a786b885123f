// PouchDB peer for the sync benchmark: node peer.mjs --records FILE.ndjson [--edits 100]
// Progress goes to stderr; the one JSON line of results goes to stdout.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import PouchDB from 'pouchdb-node';

const BATCH = 1000;
const EDIT_TIMEOUT_MS = 30_000;
const STATUSES = ['received', 'dispatched', 'in_progress', 'resolved', 'rectifying', 'confirmed'];

const { values: args } = parseArgs({
  options: { records: { type: 'string' }, edits: { type: 'string', default: '100' } },
});
const edits = Number(args.edits);
if (!args.records || !(edits >= 1)) usage();

function usage() {
  console.error('usage: node peer.mjs --records FILE.ndjson [--edits 100]');
  process.exit(2);
}
// Throws rather than exits, so the server is killed and temp dirs removed on the way out.
function fail(message) {
  throw new Error(message);
}
const log = (message) => console.error(`pouchdb peer: ${message}`);
const secs = (t0) => (performance.now() - t0) / 1000;
const round = (x, digits) => Number(x.toFixed(digits));
// Nearest-rank percentile of sorted values.
const percentile = (sorted, p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];

// Records become docs before any clock starts: `_id` = id, every other field as it is.
const docs = readFileSync(args.records, 'utf8').split('\n').filter((l) => l.trim()).map((line) => {
  const { id, ...rest } = JSON.parse(line);
  return { _id: id, ...rest };
});
const n = docs.length;
if (n === 0) usage();
const avgDocBytes = docs.reduce((sum, d) => sum + Buffer.byteLength(JSON.stringify(d)), 0) / n;

const work = mkdtempSync(path.join(tmpdir(), 'pouchdb-peer-'));
let server;
const open = [];
function cleanUp() {
  server?.kill();
  rmSync(work, { recursive: true, force: true });
}
// The benchmark may stop us early; the server must not outlive us.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => { cleanUp(); process.exit(1); });

// Starts server.mjs in its own temp dir and resolves with its base URL.
function startServer() {
  const dir = path.join(work, 'server');
  const serverJs = fileURLToPath(new URL('server.mjs', import.meta.url));
  server = spawn(process.execPath, [serverJs, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
    createInterface({ input: server.stdout }).once('line', (line) => {
      const url = line.match(/^listening on (http:\/\/\S+)$/)?.[1];
      url ? resolve(url) : reject(new Error(`unexpected first line from server: ${line}`));
    });
  });
}

function local(name) {
  const db = new PouchDB(path.join(work, name));
  open.push(db);
  return db;
}

async function expectCount(db, what) {
  const { doc_count } = await db.info();
  if (doc_count !== n) fail(`${what} has ${doc_count} docs, expected ${n}`);
}

async function run() {
  const base = await startServer();
  log(`server at ${base}, ${n} records, ${Math.round(avgDocBytes)} bytes a doc`);
  const remote = new PouchDB(`${base}/bench`);
  open.push(remote);
  await remote.info(); // creates the database outside the timed push

  const a = local('a');
  let t0 = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    const failed = (await a.bulkDocs(docs.slice(i, i + BATCH))).find((r) => r.error);
    if (failed) fail(`insert of ${failed.id} failed: ${failed.message ?? failed.error}`);
  }
  const insertS = secs(t0);
  log(`insert ${insertS.toFixed(2)} s`);

  t0 = performance.now();
  await PouchDB.replicate(a, remote, { batch_size: BATCH });
  const pushS = secs(t0);
  await expectCount(remote, 'remote after push');
  log(`push ${pushS.toFixed(2)} s`);

  t0 = performance.now();
  await PouchDB.replicate(remote, local('bootstrap'), { batch_size: BATCH });
  const bootstrapS = secs(t0);
  await expectCount(open.at(-1), 'bootstrapped db');
  log(`bootstrap ${bootstrapS.toFixed(2)} s`);

  // Device B catches up once (untimed), then keeps a live pull running.
  const b = local('b');
  await PouchDB.replicate(remote, b, { batch_size: BATCH });
  await expectCount(b, 'device B');
  const live = PouchDB.replicate(remote, b, { live: true, retry: true });
  await new Promise((resolve, reject) => live.once('paused', resolve).once('error', reject));

  // Each edit registers the (id, rev) it waits for; B's change feed resolves it.
  const waiting = new Map();
  const feed = b.changes({ since: 'now', live: true }).on('change', (c) => {
    const key = `${c.id} ${c.changes[0].rev}`;
    waiting.get(key)?.();
    waiting.delete(key);
  });

  const latencies = [];
  const step = Math.max(1, Math.floor(n / edits));
  for (let i = 0; i < edits; i++) {
    const doc = await a.get(docs[(i * step) % n]._id);
    doc.status = STATUSES[(STATUSES.indexOf(doc.status) + 1) % STATUSES.length];
    const { id, rev } = await a.put(doc);
    let timer;
    const seen = new Promise((resolve, reject) => {
      waiting.set(`${id} ${rev}`, resolve);
      timer = setTimeout(() => reject(new Error(`edit ${i} not seen on B within ${EDIT_TIMEOUT_MS} ms`)), EDIT_TIMEOUT_MS);
    });
    t0 = performance.now();
    await PouchDB.replicate(a, remote);
    await seen;
    latencies.push(performance.now() - t0);
    clearTimeout(timer);
  }
  feed.cancel();
  live.cancel();
  latencies.sort((x, y) => x - y);
  log(`live: ${edits} edits, p50 ${percentile(latencies, 50).toFixed(1)} ms`);

  return {
    peer: `PouchDB ${PouchDB.version}`,
    records: n,
    insert_s: round(insertS, 3),
    push_s: round(pushS, 3),
    bootstrap_s: round(bootstrapS, 3),
    live_p50_ms: round(percentile(latencies, 50), 2),
    live_p99_ms: round(percentile(latencies, 99), 2),
    edits,
    avg_doc_bytes: Math.round(avgDocBytes),
    local_adapter: a.adapter,
  };
}

try {
  const result = await run();
  await Promise.all(open.map((db) => db.close()));
  console.log(JSON.stringify(result));
} catch (e) {
  log(e.message);
  process.exitCode = 1;
} finally {
  cleanUp();
}
