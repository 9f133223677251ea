// `npm start`: installs what is missing, builds the console and runs the local stack until Ctrl-C.
// This file stays in syntax any Node.js parses, and the version check runs before anything else
// is loaded, so an old Node prints check-node's one line instead of a SyntaxError.
import './check-node.mjs';

import('./stack/npm-start.mjs')
  .then(function (m) {
    return m.main();
  })
  .catch(function (err) {
    process.stderr.write('npm start failed: ' + ((err && err.message) || err) + '\n');
    process.exit(1);
  });
