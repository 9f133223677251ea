// Runs first in `npm start` and `npm test`. Deliberately old-fashioned JavaScript (var, function,
// no optional chaining) so that any Node.js old enough to fail the check can still parse it and
// print one clear line instead of a syntax error.

var MIN_MAJOR = 22;
var MIN_MINOR = 12;

/** The one-line complaint for a Node.js version, or null when it is new enough. */
export function nodeVersionProblem(version) {
  var parts = String(version).replace(/^v/, '').split('.');
  var major = parseInt(parts[0], 10);
  var minor = parseInt(parts[1], 10) || 0;
  if (major > MIN_MAJOR || (major === MIN_MAJOR && minor >= MIN_MINOR)) return null;
  return (
    'Gennaker needs Node.js ' + MIN_MAJOR + '.' + MIN_MINOR + ' or newer (this is v' + String(version).replace(/^v/, '') +
    '). Install Node.js ' + MIN_MAJOR + '.' + MIN_MINOR + '+ and run again.'
  );
}

var problem = nodeVersionProblem(process.versions.node);
if (problem) {
  process.stderr.write(problem + '\n');
  process.exit(1);
}
