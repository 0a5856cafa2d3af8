/**
 * An EventBridge event-pattern matcher for tests, so a test can prove that a rule's pattern, read from the
 * synthesized template, matches the sample events it should and none it should not. It follows the content
 * filtering documented for event buses (and AWS's event-ruler where the documentation is silent): a field
 * absent from the event matches only `{ "exists": false }`, never `anything-but`. Each pattern is checked
 * whole before any event field decides, so a malformed pattern always throws an Error naming its path.
 */
import ipaddr from 'ipaddr.js';

type ValueTest = (value: unknown) => boolean;
type LeafTest = (leaves: unknown[]) => boolean;

const STRING_OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'];

/** True when `event` matches the EventBridge event `pattern`; throws an Error naming the path of a malformed pattern. */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern) || Object.keys(pattern).length === 0) fail('(root)', 'must be a non-empty object');
  return matchObject(pattern, event, '');
}

function matchObject(pattern: Record<string, unknown>, event: unknown, path: string): boolean {
  const results = Object.entries(pattern).map(([key, sub]) => {
    const at = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(sub) || sub.length < 2 || !sub.every(isObject))
        fail(at, 'must list two or more patterns');
      return sub.map((branch, i) => matchObject(branch, event, `${at}[${i}]`)).some(Boolean);
    }
    const value = isObject(event) ? event[key] : undefined;
    if (Array.isArray(sub)) return matchLeaf(sub, leavesOf(value), at);
    if (!isObject(sub)) fail(at, 'must be an array of allowed values or a nested pattern');
    // An array of objects in the event matches when one of its elements does.
    const elements = Array.isArray(value) && value.length > 0 ? value : [value];
    return elements.map((element) => matchObject(sub, element, at)).some(Boolean);
  });
  return results.every(Boolean);
}

function matchLeaf(conditions: unknown[], leaves: unknown[], path: string): boolean {
  if (conditions.length === 0) fail(path, 'must not be an empty array');
  return conditions
    .map((condition, i) => toLeafTest(condition, `${path}[${i}]`))
    .some((test) => test(leaves));
}

/** The scalar values at a field: none when it is absent or an object (exists matches leaves only). */
function leavesOf(value: unknown): unknown[] {
  if (value === undefined || isObject(value)) return [];
  return Array.isArray(value) ? value.flatMap(leavesOf) : [value];
}

function toLeafTest(condition: unknown, path: string): LeafTest {
  if (condition === null || ['string', 'number', 'boolean'].includes(typeof condition)) {
    return (leaves) => leaves.includes(condition);
  }
  if (!isObject(condition)) fail(path, `must be a string, number, boolean, null or { operator: … }`);
  const [operator, argument, extra] = operatorOf(condition, path);
  if (extra) fail(path, 'must hold exactly one operator');
  if (operator === 'exists') {
    if (typeof argument !== 'boolean') fail(`${path}.exists`, 'must be true or false');
    return (leaves) => leaves.length > 0 === argument;
  }
  const test = toValueTest(operator, argument, `${path}.${operator}`);
  return (leaves) => leaves.some(test);
}

function toValueTest(operator: string, argument: unknown, path: string): ValueTest {
  switch (operator) {
    case 'prefix':
      return affixTest(argument, path, (value, affix) => value.startsWith(affix));
    case 'suffix':
      return affixTest(argument, path, (value, affix) => value.endsWith(affix));
    case 'equals-ignore-case': {
      const expected = requireString(argument, path).toLowerCase();
      return (value) => typeof value === 'string' && value.toLowerCase() === expected;
    }
    case 'wildcard': {
      const regex = wildcardRegex(requireString(argument, path), path);
      return (value) => typeof value === 'string' && regex.test(value);
    }
    case 'numeric':
      return numericTest(argument, path);
    case 'cidr':
      return cidrTest(argument, path);
    case 'anything-but':
      return anythingButTest(argument, path);
    default:
      return fail(path, `unknown operator "${operator}"`);
  }
}

function affixTest(
  argument: unknown,
  path: string,
  test: (value: string, affix: string) => boolean,
): ValueTest {
  if (isObject(argument)) {
    const [operator, inner, extra] = operatorOf(argument, path);
    if (operator !== 'equals-ignore-case' || extra)
      fail(path, 'must be a string or { "equals-ignore-case": … }');
    const affix = requireString(inner, `${path}.${operator}`).toLowerCase();
    return (value) => typeof value === 'string' && test(value.toLowerCase(), affix);
  }
  const affix = requireString(argument, path);
  return (value) => typeof value === 'string' && test(value, affix);
}

function anythingButTest(argument: unknown, path: string): ValueTest {
  if (isObject(argument)) {
    const [operator, inner, extra] = operatorOf(argument, path);
    if (!STRING_OPERATORS.includes(operator) || extra) fail(path, `cannot hold "${operator}"`);
    const list = Array.isArray(inner) && operator !== 'prefix' && operator !== 'suffix' ? inner : [inner];
    const tests = list.map((item, i) => toValueTest(operator, item, `${path}.${operator}[${i}]`));
    return (value) => typeof value === 'string' && !tests.some((test) => test(value));
  }
  const excluded = Array.isArray(argument) ? argument : [argument];
  const allOf = (type: string) => excluded.every((item) => typeof item === type);
  if (excluded.length === 0 || !(allOf('string') || allOf('number'))) {
    fail(path, 'must be a string, a number, a list of only one of those, or one string operator');
  }
  return (value) => !excluded.includes(value);
}

function numericTest(argument: unknown, path: string): ValueTest {
  const shape = (arg: unknown[]) =>
    arg.length === 2 || (arg.length === 4 && /^>/.test(`${arg[0]}`) && /^</.test(`${arg[2]}`));
  if (!Array.isArray(argument) || !shape(argument))
    fail(path, 'must be [op, n] or [">"|">=", n, "<"|"<=", m]');
  const comparisons: ValueTest[] = [];
  for (let i = 0; i < argument.length; i += 2) {
    const [operator, bound] = [argument[i], argument[i + 1]];
    if (typeof bound !== 'number' || !Number.isFinite(bound))
      fail(`${path}[${i + 1}]`, 'must be a finite number');
    const compare = COMPARISONS[`${operator}`];
    if (!compare) fail(`${path}[${i}]`, `unknown comparison "${operator}"`);
    comparisons.push((value) => compare(value as number, bound));
  }
  return (value) => typeof value === 'number' && comparisons.every((compare) => compare(value));
}

const COMPARISONS: Record<string, (value: number, bound: number) => boolean> = {
  '=': (value, bound) => value === bound,
  '<': (value, bound) => value < bound,
  '<=': (value, bound) => value <= bound,
  '>': (value, bound) => value > bound,
  '>=': (value, bound) => value >= bound,
};

function cidrTest(argument: unknown, path: string): ValueTest {
  const cidr = requireString(argument, path);
  const [address = '', length = ''] = cidr.split('/');
  if (!isIpAddress(address) || !/^\d{1,3}$/.test(length)) fail(path, `"${cidr}" is not a CIDR block`);
  const range = ipaddr.parseCIDR(cidr);
  return (value) => {
    if (typeof value !== 'string' || !isIpAddress(value)) return false;
    const parsed = ipaddr.parse(value);
    return parsed.kind() === range[0].kind() && parsed.match(range);
  };
}

/** ipaddr.js also reads `10.1` and octal forms as IPv4; EventBridge events carry dotted quads or IPv6. */
function isIpAddress(value: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(value) || (value.includes(':') && ipaddr.IPv6.isValid(value));
}

/** `*` matches any run of characters; `\*` and `\\` are a literal star and backslash; `**` is refused. */
function wildcardRegex(wildcard: string, path: string): RegExp {
  const tokens = wildcard.match(/\\[*\\]|\*|[^*\\]+/g) ?? [];
  const consecutiveStars = tokens.some((token, i) => token === '*' && tokens[i + 1] === '*');
  // A lone backslash is left out of the tokens, so the tokens no longer spell the whole wildcard.
  if (consecutiveStars || tokens.join('') !== wildcard)
    fail(path, `"${wildcard}" has consecutive stars or a bad escape`);
  const source = tokens.map((token) =>
    token === '*' ? '.*' : token.replace(/^\\/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
  );
  return new RegExp(`^${source.join('')}$`, 's');
}

function operatorOf(condition: Record<string, unknown>, path: string): [string, unknown, boolean] {
  const entries = Object.entries(condition);
  const [first] = entries;
  if (!first) fail(path, 'must hold an operator');
  return [first[0], first[1], entries.length > 1];
}

function requireString(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, `must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(path: string, problem: string): never {
  throw new Error(`Invalid event pattern at ${path}: ${problem}`);
}
