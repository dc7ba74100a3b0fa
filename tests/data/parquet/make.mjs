// How the Parquet files beside this one were made: DuckDB (an independent
// writer; npm install @duckdb/node-api@1.5.6-r.1) reads each text twin and
// writes it with every codec, with and without dictionary encoding, with v2
// data pages, in small row groups. Column names are AWS's Parquet names
// (underscores). Copy this script beside that node_modules, then run it
// from this folder: node /that/folder/make.mjs
import { DuckDBInstance } from '@duckdb/node-api';
const con = await (await DuckDBInstance.create(':memory:')).connect();
const flows = `{'version': 'INTEGER', 'account_id': 'VARCHAR', 'interface_id': 'VARCHAR',
  'srcaddr': 'VARCHAR', 'dstaddr': 'VARCHAR', 'srcport': 'INTEGER', 'dstport': 'INTEGER',
  'protocol': 'INTEGER', 'packets': 'BIGINT', 'bytes': 'BIGINT', 'start': 'BIGINT', 'end': 'BIGINT',
  'action': 'VARCHAR', 'log_status': 'VARCHAR'}`;
await con.run(`CREATE TABLE flows AS SELECT * FROM read_csv('flows.log', delim=' ', header=false, quote='',
  escape='', nullstr='-', columns=${flows})`);
await con.run(`CREATE TABLE v5 AS SELECT "version", "account-id" AS account_id, "interface-id" AS interface_id,
  srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, "start", "end", "action", "log-status" AS log_status,
  "tcp-flags" AS tcp_flags, "pkt-srcaddr" AS pkt_srcaddr, "pkt-dstaddr" AS pkt_dstaddr,
  "flow-direction" AS flow_direction
  FROM read_csv('v5.log', delim=' ', header=true, quote='', escape='', nullstr='-')`);
const made = [
  ['flows-gzip.parquet', 'flows', "CODEC 'gzip', ROW_GROUP_SIZE 500"],
  ['flows-snappy.parquet', 'flows', "CODEC 'snappy', ROW_GROUP_SIZE 500"],
  ['flows-zstd.parquet', 'flows', "CODEC 'zstd', ROW_GROUP_SIZE 500"],
  ['flows-uncompressed.parquet', 'flows', "CODEC 'uncompressed', ROW_GROUP_SIZE 500"],
  ['flows-nodict.parquet', 'flows', "CODEC 'gzip', DICTIONARY_SIZE_LIMIT 1, ROW_GROUP_SIZE 500"],
  ['flows-v2.parquet', 'flows', "CODEC 'zstd', PARQUET_VERSION 'V2', ROW_GROUP_SIZE 500"],
  ['v5-gzip.parquet', 'v5', "CODEC 'gzip'"],
  // five copies of the twin, each 100 s later, sorted by time: each row
  // group (DuckDB's smallest is 2,048 rows) has a span of time of its own
  ['flows-sorted.parquet', `(SELECT * REPLACE ("start" + 100 * k AS "start", "end" + 100 * k AS "end")
     FROM flows, range(5) t(k) ORDER BY "start", "end", interface_id, srcport, dstport, k)`,
   "CODEC 'zstd', ROW_GROUP_SIZE 2048"],
];
for (const [file, table, options] of made)
  await con.run(`COPY ${table} TO '${file}' (FORMAT parquet, ${options})`);
