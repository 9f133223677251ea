// `npm test`: type-checks edge, agent and console, builds the console (the browser tests serve it), runs every vitest project, and
// ends with one plain "N passed, N failed" line that CI can read whatever the reporter prints.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', shell: false }).status ?? 1;
const report = 'test-results/vitest.json';

if (run('npm', ['run', '--silent', 'check']) !== 0) {
  console.error('type check failed; tests not run');
  process.exit(1);
}
if (run('npm', ['run', '--silent', 'build']) !== 0) {
  console.error('console build failed; tests not run');
  process.exit(1);
}
rmSync(report, { force: true });
const status = run('node_modules/.bin/vitest', ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]);
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // A file whose setup fails fails no single test; count it, or the line would say 0 failed.
  const failed = r.numFailedTests + (r.numFailedTestSuites ?? 0);
  console.log(`tests: ${r.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  if (r.numTotalTests === 0) {
    console.error('no test ran');
    process.exit(1);
  }
}
process.exit(status);
