// DuckDB answering one SQL over the generated flow logs, all rows as CSV
// on stdout, and the seconds it took on stderr.
// usage: [DUCK_THREADS=N] node duck_csv.mjs FILE 'SQL over the view flows' (FILE.parquet: read_parquet)
import { DuckDBInstance } from '@duckdb/node-api';
const [file, sql] = [process.argv[2], process.argv[3]];
const cols = `{'version': 'UTINYINT', 'account_id': 'VARCHAR', 'interface_id': 'VARCHAR',
  'srcaddr': 'VARCHAR', 'dstaddr': 'VARCHAR', 'srcport': 'USMALLINT', 'dstport': 'USMALLINT',
  'protocol': 'UTINYINT', 'packets': 'UBIGINT', 'bytes': 'UBIGINT', 'start': 'UBIGINT', 'end': 'UBIGINT',
  'action': 'VARCHAR', 'log_status': 'VARCHAR'}`;
const con = await (await DuckDBInstance.create(':memory:')).connect();
if (process.env.DUCK_THREADS) await con.run(`SET threads=${Number(process.env.DUCK_THREADS)}`);
if (file.endsWith('.parquet'))
  await con.run(`CREATE VIEW flows AS SELECT * FROM read_parquet('${file}')`);
else
  await con.run(`CREATE VIEW flows AS SELECT * FROM read_csv('${file}', delim=' ', header=false, quote='', escape='', nullstr='-', columns=${cols})`);
const t = performance.now();
const rows = (await con.runAndReadAll(sql)).getRowsJson();
console.error(((performance.now() - t) / 1000).toFixed(3));
process.stdout.write(rows.map(r => r.join(',')).join('\n') + '\n');
