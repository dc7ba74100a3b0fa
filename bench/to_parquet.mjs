// The generated text flow logs as an AWS-like Parquet object (GZIP pages,
// AWS's column names), written by DuckDB for the Parquet benchmark.
// usage: node to_parquet.mjs FILE.log FILE.parquet
import { DuckDBInstance } from '@duckdb/node-api';
const [src, dst] = [process.argv[2], process.argv[3]];
const cols = `{'version': 'INTEGER', 'account_id': 'VARCHAR', 'interface_id': 'VARCHAR',
  'srcaddr': 'VARCHAR', 'dstaddr': 'VARCHAR', 'srcport': 'INTEGER', 'dstport': 'INTEGER',
  'protocol': 'INTEGER', 'packets': 'BIGINT', 'bytes': 'BIGINT', 'start': 'BIGINT', 'end': 'BIGINT',
  'action': 'VARCHAR', 'log_status': 'VARCHAR'}`;
const con = await (await DuckDBInstance.create(':memory:')).connect();
await con.run(`COPY (SELECT * FROM read_csv('${src}', delim=' ', header=false, quote='', escape='', nullstr='-',
  columns=${cols})) TO '${dst}' (FORMAT parquet, CODEC 'gzip')`);
