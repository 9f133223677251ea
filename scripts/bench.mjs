// `npm run bench`: runs every benchmark, prints a table, and writes bench-results.json at the
// root as {"name": {"value": n, "unit": "ms"}}. Figures are medians; nothing here is a pass/fail test.
import { writeFile } from 'node:fs/promises';
import { benchApi } from '../bench/api.mjs';
import { benchEngine } from '../bench/engine.mjs';

const benches = [
  ['api', benchApi],
  ['engine', benchEngine],
];

const results = {};
for (const [name, run] of benches) {
  process.stdout.write(`running ${name}…\n`);
  Object.assign(results, await run());
}
const rows = Object.entries(results).map(([name, { value, unit }]) => [name, value.toFixed(2), unit]);
const width = Math.max(...rows.map((r) => r[0].length));
console.log(`\n${'figure'.padEnd(width)}  value  unit`);
for (const [name, value, unit] of rows) console.log(`${name.padEnd(width)}  ${value.padStart(6)}  ${unit}`);
await writeFile('bench-results.json', `${JSON.stringify(results, null, 2)}\n`);
console.log('\nwritten to bench-results.json');
