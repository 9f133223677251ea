import { describe, expect, it } from 'vitest';
import { checkTemplateSyntax, evaluateExpression, evaluateTemplate, type ExpressionScope } from './expressions.ts';

const stage = (refId: string, name: string, type: string, status: string, context: Record<string, unknown>, outputs: Record<string, unknown>) => ({
  refId, name, type, status, context, outputs,
});

const deploy = stage('4', 'Deploy', 'deploy', 'RUNNING', { cluster: 'web' }, {});
const scope: ExpressionScope = {
  trigger: { type: 'manual', user: 'alice@example.com' },
  // Parsed from JSON, as rows are: the `__proto__` key is an ordinary key.
  parameters: JSON.parse('{"env": "prod", "count": "3", "region": "eu-west-1", "version": "1.2.3", "__proto__": "odd"}'),
  execution: { id: 'ex-1', application: 'shop', name: 'release', status: 'RUNNING', startedAt: 1_700_000_000_000 },
  stages: [
    stage('1', 'Bake', 'bake', 'SUCCEEDED', { n: 1 }, {
      imageId: 'ami-123', replicas: 3, ratio: 0.5, tags: { team: 'core' }, images: [{ name: 'web' }, { name: 'worker' }],
    }),
    stage('2', 'Approve', 'manualJudgment', 'SUCCEEDED', { judgmentInput: 'ignored' }, { judgmentInput: 'ship it' }),
    stage('3', 'Pending approval', 'manualJudgment', 'RUNNING', {}, {}),
    deploy,
  ],
  current: deploy,
};
const withParameters = (parameters: Record<string, unknown>): ExpressionScope => ({ ...scope, parameters, trigger: { ...scope.trigger, parameters } });

describe('sandbox', () => {
  // The test pool grants workerd an unsafe-eval binding, so passing here would not prove a
  // deployed Worker can run this: read the sources instead.
  const sources = {
    ...import.meta.glob('../../node_modules/@marcbachmann/cel-js/lib/*.js', { query: '?raw', import: 'default', eager: true }),
    ...import.meta.glob(['./expressions.ts', './expressions/*.ts'], { query: '?raw', import: 'default', eager: true }),
  } as Record<string, string>;

  it('reads the evaluator and our modules', () => {
    expect(Object.keys(sources).filter((p) => p.includes('cel-js')).length).toBeGreaterThan(5);
    expect(Object.keys(sources).filter((p) => p.includes('expressions')).length).toBeGreaterThan(4);
  });

  const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const forbidden: [string, RegExp][] = [
    ['eval', /(^|[^\w.$#])eval\s*\(/],
    ['the Function constructor', /(^|[^\w.$#])Function\s*\(/],
    ['dynamic import', /(^|[^\w.$#])import\s*\(/],
    ['fetch', /(^|[^\w.$#])fetch\s*\(/],
  ];
  it.each(forbidden)('no module uses %s', (_, pattern) => {
    expect(pattern.test(code('x = new Function("a") || eval("a") || import("a") || fetch("a")'))).toBe(true);
    expect(Object.entries(sources).filter(([, text]) => pattern.test(code(text))).map(([p]) => p)).toEqual([]);
  });
});

describe('evaluateExpression: typed values', () => {
  const cases: [string, unknown][] = [
    ['parameters.env', 'prod'],
    ['trigger.parameters.env', 'prod'],
    ['trigger.user', 'alice@example.com'],
    ['execution.id + "/" + execution.application', 'ex-1/shop'],
    ['execution.startedAt', 1_700_000_000_000],
    ['parameters["__proto__"]', 'odd'],
    ['int(parameters.count) > 2', true],
    ['toInt(parameters.count) * 2', 6],
    ['stage("Bake").outputs.replicas > 2', true],
    ['stage("Bake").outputs.replicas + 1', 4],
    ['stage("Bake").outputs.ratio * 2.0', 1],
    ['stage("Bake").outputs.tags', { team: 'core' }],
    ['stage("Bake").outputs.images.map(i, i.name)', ['web', 'worker']],
    ['stage("Bake").context.n == 1', true],
    ['stage("Approve")', { refId: '2', name: 'Approve', type: 'manualJudgment', status: 'SUCCEEDED', context: { judgmentInput: 'ignored' }, outputs: { judgmentInput: 'ship it' } }],
    ['stageByRefId("1").name', 'Bake'],
    ['stageByRefId(2).status', 'SUCCEEDED'],
    ['judgment("Approve")', 'ship it'],
    ['judgement("Approve") == "ship it"', true],
    ['judgment("Pending approval")', ''],
    ['currentStage().context.cluster', 'web'],
    ['toFloat("2.5") + 1.0', 3.5],
    ['toBoolean("TRUE")', true],
    ['toJson(stage("Bake").outputs.tags)', '{"team":"core"}'],
    ['readJson("{\\"a\\": [1, 2]}").a[1] + 1', 3],
    ['parameters.?zone.orValue("eu-1")', 'eu-1'],
    ['parameters.?env.orValue("eu-1")', 'prod'],
    ['has(parameters.zone)', false],
    ['{"a": 1, "b": [1.5, "x"], "c": null}', { a: 1, b: [1.5, 'x'], c: null }],
    ['{1: "one"}', { 1: 'one' }],
    ['duration("90m")', '5400s'],
    ['timestamp("2024-01-01T00:00:00Z")', '2024-01-01T00:00:00.000Z'],
    ['type(parameters.env)', 'string'],
    ['parameters.version.startsWith("1.") ? "v1" : "other"', 'v1'],
    ['${ parameters.env }', 'prod'],
  ];
  it.each(cases)('%s', (expression, expected) => {
    expect(evaluateExpression(expression, scope)).toEqual({ ok: true, value: expected });
  });
});

describe("evaluateExpression: Spinnaker's #-prefixed helpers", () => {
  const cases: [string, unknown][] = [
    ["#stage('Bake').outputs.imageId", 'ami-123'],
    ["#judgment('Approve')", 'ship it'],
    ['#currentStage().refId', '4'],
    ["#stageByRefId('1').name", 'Bake'],
    ['#toInt(parameters.count) + #toInt("1")', 4],
    ["#stage('Bake').status.toString() == 'SUCCEEDED'", true],
    ["#stage( 'Bake' ).outputs['imageId']", 'ami-123'],
    // Inside a string literal a `#` is text.
    ['"#stage(\'x\')" + \'#judgment("y")\'', '#stage(\'x\')#judgment("y")'],
  ];
  it.each(cases)('%s', (expression, expected) => {
    expect(evaluateExpression(expression, scope)).toEqual({ ok: true, value: expected });
  });
});

describe('evaluateExpression: failures', () => {
  const cases: [string, string | RegExp][] = [
    ['paramters.env', 'undeclared reference to "paramters" (did you mean "parameters"?)'],
    ['nothing', 'undeclared reference to "nothing" (variables: trigger, parameters, execution)'],
    ['stage("Canary")', 'no stage named "Canary" in this execution (stages: Bake, Approve, Pending approval, Deploy)'],
    ['stage("bake")', 'no stage named "bake" in this execution (did you mean "Bake"?)'],
    ['stageByRefId("9")', /^no stage with refId "9" in this execution/],
    ['judgment("Bake")', 'stage "Bake" is a bake stage, not a manual judgment'],
    ['judgment("Aprove")', 'no stage named "Aprove" in this execution (did you mean "Approve"?)'],
    ['parameters.regoin', 'no key "regoin" in parameters (did you mean "region"?)'],
    ['stage("Bake").outputs.nope', 'no key "nope" in stage("Bake").outputs (keys: imageId, replicas, ratio, tags, images)'],
    ['stage("Approve").context.judgmentInputs.x', /^no key "judgmentInputs" in stage\("Approve"\)\.context/],
    ['parameters.constructor', /^no key "constructor" in parameters/],
    ['1 / 0', 'division by zero in `1 / 0`'],
    ['int(parameters.count) % 0', 'modulo by zero in `int(parameters.count) % 0`'],
    ['[1, 2][5]', /^index out of bounds/],
    ['parameters.count > 2', 'cannot apply ">" to string and int in `parameters.count > 2` (parameters are strings: convert with int(…) or double(…))'],
    ['stage("Bake").outputs.ratio + 1', /^cannot apply "\+" to double and int .*CEL does not mix int and double/],
    ['9223372036854775807 + 1', /^integer overflow/],
    ['9223372036854775807', 'the integer 9223372036854775807 is too large to keep exactly in JSON (limit ±2^53)'],
    ['1.0 / 0.0', 'the result is Infinity, which JSON cannot hold'],
    ['b"x"', 'bytes cannot be kept in JSON: convert them with string(…) or .base64()'],
    ['1 +', 'syntax error at column 4: unexpected end of expression'],
    ['(1 + 2', 'syntax error at column 7: expected ")" but found end of expression'],
    // Columns count the `#` the user wrote.
    ["#stage('Bake'", 'syntax error at column 14: expected ")" but found end of expression'],
    ['#root.x', /^syntax error at column 1: unexpected character.*SpEL variables such as #root do not exist here/],
    ['"abc', /^syntax error at column 1: unterminated string/],
    ['fromUrl("https://example.com")', 'fromUrl() is a Spinnaker helper Gennaker does not offer: expressions here do no I/O'],
    ['stge("Bake")', 'unknown function "stge" (did you mean "stage"?)'],
    ['parameters.env.shout()', 'unknown method "shout"'],
    ['stage(1)', 'wrong arguments for stage(): got stage(int), expected stage(string)'],
    ['toInt("abc")', 'toInt: "abc" is not an integer'],
    ['toBoolean("yes")', 'toBoolean: "yes" is not "true" or "false"'],
    ['readJson("{")', /^readJson: not valid JSON/],
    ['"abc".matches("[")', /^invalid regular expression/],
    ['', 'empty expression'],
    ['   ', 'empty expression'],
  ];
  it.each(cases)('%s', (expression, reason) => {
    const result = evaluateExpression(expression, scope);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(typeof reason === 'string' ? new RegExp(`^${escape(reason)}$`) : reason);
  });

  it('says where currentStage() cannot be used', () => {
    const { current: _, ...noCurrent } = scope;
    expect(evaluateExpression('currentStage()', noCurrent)).toEqual({ ok: false, reason: 'currentStage() is only available while a stage is starting' });
  });

  it('never throws, whatever it is given', () => {
    expect(evaluateExpression(undefined as unknown as string, scope).ok).toBe(false);
    expect(evaluateExpression('parameters', null as unknown as ExpressionScope).ok).toBe(false);
    expect(evaluateExpression('('.repeat(500), scope).ok).toBe(false);
  });

  it('is deterministic and leaves the scope as it was', () => {
    const before = JSON.stringify(scope);
    const first = evaluateExpression('stage("Bake").outputs.images.map(i, i.name)', scope);
    expect(evaluateExpression('stage("Bake").outputs.images.map(i, i.name)', scope)).toEqual(first);
    expect(JSON.stringify(scope)).toBe(before);
  });
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('evaluateTemplate: typed and interpolated strings', () => {
  const cases: [string, unknown][] = [
    ['${ int(parameters.count) }', 3],
    [' ${ true } ', true],
    ['${stage("Bake").outputs.tags}', { team: 'core' }],
    ['${ [1, 2.5] }', [1, 2.5]],
    ['${ null }', null],
    ['${ parameters.count }', '3'],
    ['v${parameters.version}-${ int(parameters.count) }', 'v1.2.3-3'],
    ['tags=${ stage("Bake").outputs.tags }', 'tags={"team":"core"}'],
    ['${ true } and ${ 0.5 } and ${ null }', 'true and 0.5 and null'],
    ['${ {"k": "}"}.k }', '}'],
    ["${ 'a}b' + \"{\" }", 'a}b{'],
    ['$${HOME}/bin and ${ parameters.env }', '${HOME}/bin and prod'],
    ['$${HOME}', '${HOME}'],
    ['costs $5 or $$', 'costs $5 or $$'],
    ["${ #stage('Bake').outputs.imageId }", 'ami-123'],
  ];
  it.each(cases)('%s', (template, expected) => {
    expect(evaluateTemplate(template, scope)).toEqual({ ok: true, value: expected });
  });
});

describe('evaluateTemplate: documents', () => {
  it('evaluates every string in nested objects and arrays, and copies the rest', () => {
    const context = {
      payload: { url: 'https://${parameters.env}.example.com', items: [1, '${ stage("Bake").outputs.replicas }', { name: '${ judgment("Approve") }' }] },
      replicas: 5,
      enabled: true,
      nothing: null,
      plain: 'no expressions',
    };
    const before = JSON.stringify(context);
    expect(evaluateTemplate(context, scope)).toEqual({
      ok: true,
      value: {
        payload: { url: 'https://prod.example.com', items: [1, 3, { name: 'ship it' }] },
        replicas: 5,
        enabled: true,
        nothing: null,
        plain: 'no expressions',
      },
    });
    expect(JSON.stringify(context)).toBe(before);
  });

  it('keeps a `__proto__` key as a key', () => {
    const result = evaluateTemplate(JSON.parse('{"__proto__": "${ parameters.env }"}'), scope);
    expect(result.ok && Object.getOwnPropertyDescriptor(result.value, '__proto__')?.value).toBe('prod');
  });

  const failures: [unknown, string | undefined, Partial<{ field: string; expression: string; reason: string }>][] = [
    [{ payload: { items: [1, 2, { name: '${ nope }' }] } }, undefined, { field: 'payload.items[2].name', expression: 'nope' }],
    [{ payload: { items: [1, 2, { name: '${ nope }' }] } }, 'stages[0]', { field: 'stages[0].payload.items[2].name' }],
    [['${ nope }'], 'tags', { field: 'tags[0]' }],
    [{ 'my-key': 'x ${ stage("Canary").name }' }, undefined, { field: '["my-key"]', expression: 'stage("Canary").name' }],
    ['${ 1 / 0 }', undefined, { field: '', reason: 'division by zero in `1 / 0`' }],
    ['${ 1 / 0 }', 'payload', { field: 'payload' }],
    [{ a: '${ 1 +  }', b: '${ nope }' }, undefined, { field: 'a', expression: '1 +', reason: 'syntax error at column 4: unexpected end of expression' }],
    [{ s: 'x ${ parameters.env' }, undefined, { field: 's', expression: 'parameters.env', reason: 'unterminated "${": no closing "}"' }],
    [{ s: 'x ${  }' }, undefined, { field: 's', expression: '', reason: 'empty expression' }],
  ];
  it.each(failures)('fails %j (prefix %s) at the field', (value, prefix, expected) => {
    expect(evaluateTemplate(value, scope, prefix)).toMatchObject({ ok: false, ...expected });
  });
});

describe('evaluateTemplate: size guard', () => {
  const kib = 1024;
  const big = withParameters({ big: 'x'.repeat(40 * kib), fine: 'y'.repeat(60 * kib), wide: 'é'.repeat(33 * kib) });
  const over = /^the result is [\d.]+ KiB, over the 64 KiB limit for one evaluated field$/;
  const cases: [string, string, boolean][] = [
    ['a string just under the limit', '${ parameters.fine }', true],
    ['a typed string over it', '${ parameters.big + parameters.big }', false],
    ['text interpolated past it', '${parameters.big}${parameters.big}', false],
    ['a list past it', '${ [parameters.big, parameters.big] }', false],
    ['a string of 33 Ki two-byte characters (66 KiB)', '${ parameters.wide }', false],
  ];
  it.each(cases)('%s', (_, template, ok) => {
    const result = evaluateTemplate({ field: template }, big);
    if (ok) expect(result.ok).toBe(true);
    else expect(result).toMatchObject({ ok: false, field: 'field', reason: expect.stringMatching(over) });
  });

  it('bounds the expression it quotes in a failure', () => {
    const result = evaluateTemplate(`\${ nope + "${'z'.repeat(2000)}" }`, scope);
    expect(!result.ok && result.expression.length).toBe(500);
  });
});

describe('checkTemplateSyntax', () => {
  const valid: unknown[] = [
    { url: 'https://${ parameters.env }.example.com', n: 3, flag: true, none: null, list: ['a', '$${HOME}'] },
    "${ #stage('Bake').outputs.imageId }",
    // Only evaluation can tell these fail: the stage may exist then, the types are dynamic.
    '${ stage("Not yet") }',
    '${ parameters.count > 2 }',
    '${ [1, 2].map(x, x * 2) }',
    '${ parameters.?zone.orValue("eu") }',
  ];
  it.each(valid)('accepts %j', (value) => {
    expect(checkTemplateSyntax(value)).toBeNull();
  });

  const invalid: [unknown, string | undefined, { field: string; expression: string; reason: string | RegExp }][] = [
    [{ a: ['${ parameters.env }', '${ 1 + }'] }, 'stages[2]', { field: 'stages[2].a[1]', expression: '1 +', reason: 'syntax error at column 4: unexpected end of expression' }],
    [{ a: '${ paramters.env }' }, undefined, { field: 'a', expression: 'paramters.env', reason: 'undeclared reference to "paramters" (did you mean "parameters"?)' }],
    [{ a: '${ #stage("x").outputs.y == fromUrl("u") }' }, undefined, { field: 'a', expression: '#stage("x").outputs.y == fromUrl("u")', reason: /^fromUrl\(\) is a Spinnaker helper/ }],
    [{ a: 'ok ${ stge("x") }' }, undefined, { field: 'a', expression: 'stge("x")', reason: 'unknown function "stge" (did you mean "stage"?)' }],
    [{ a: { b: 'x ${ parameters.env' } }, 'payload', { field: 'payload.a.b', expression: 'parameters.env', reason: 'unterminated "${": no closing "}"' }],
    ['${}', undefined, { field: '', expression: '', reason: 'empty expression' }],
  ];
  it.each(invalid)('rejects %j', (value, prefix, expected) => {
    const { reason, ...rest } = expected;
    expect(checkTemplateSyntax(value, prefix)).toMatchObject({ ok: false, ...rest, reason: typeof reason === 'string' ? reason : expect.stringMatching(reason) });
  });
});
