// `npm run bench`: runs every benchmark, prints a table, and writes bench-results.json at the
// root as {"name": {"value": n, "unit": "ms"}}. Figures are medians; nothing here is a pass/fail test.
import { writeFile } from 'node:fs/promises';
import { benchAgent } from '../bench/agent.mjs';
import { benchApi } from '../bench/api.mjs';
import { benchCanary } from '../bench/canary.mjs';
import { benchConsole } from '../bench/console.mjs';
import { benchEngine } from '../bench/engine.mjs';

const benches = [
  ['api', benchApi],
  ['engine', benchEngine],
  ['agent', benchAgent],
  ['canary', benchCanary],
  ['console', benchConsole],
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
const t = results['engine.transition_p50_ms'];
const w = results['engine.d1_write_p50_ms'];
if (t && w) {
  console.log(`\nengine: a stage transition costs ${t.value.toFixed(2)} ms (median, wall time per stage of a 100-stage serial run),`);
  console.log(`        ${(t.value / Math.max(w.value, 0.001)).toFixed(1)}× a bare D1 write (${w.value.toFixed(2)} ms) timed in the same run.`);
}
await writeFile('bench-results.json', `${JSON.stringify(results, null, 2)}\n`);
console.log('\nwritten to bench-results.json');
