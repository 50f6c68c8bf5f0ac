/**
 * Policy regexes are RE2 (docs/crds.md): linear-time, no look-around, no back-references. The proxy
 * runs them with the JavaScript engine, so a pattern must be read the same way by both: we refuse
 * the constructs RE2 lacks (which JavaScript would happily run) and compile with the `u` flag, which
 * makes JavaScript refuse RE2-only syntax it would otherwise misread (`\A`, `\z`, `\Q`, `[[:alpha:]]`,
 * `(?i)`) instead of silently matching something else.
 */

export type Re2Result = { ok: true; regex: RegExp } | { ok: false; error: string };

/** Why `source` is outside the subset, or undefined. Scans once, tracking escapes and classes. */
function unsupported(source: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (!inClass && next >= '1' && next <= '9') return `back-reference \\${next} at ${i}`;
      if (next === 'k' && source[i + 2] === '<') return `named back-reference at ${i}`;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      // A leading ] (or ^]) is a literal inside the class.
      if (source[i + 1] === '^') i++;
      if (source[i + 1] === ']') i++;
      continue;
    }
    if (c === '(' && source[i + 1] === '?') {
      const rest = source.slice(i + 2, i + 4);
      if (rest.startsWith('=') || rest.startsWith('!')) return `look-ahead at ${i}`;
      if (rest === '<=' || rest === '<!') return `look-behind at ${i}`;
    }
  }
  return undefined;
}

/**
 * Compiles a pattern that must match the whole input (Istio's and RE2's full-match semantics), once,
 * at config load. The error text says what and where, for a policy's status condition.
 */
export function compileRe2(source: string): Re2Result {
  const bad = unsupported(source);
  if (bad) return { ok: false, error: `not RE2: ${bad} in ${JSON.stringify(source)}` };
  try {
    return { ok: true, regex: new RegExp(`^(?:${source})$`, 'u') };
  } catch (err) {
    return { ok: false, error: `invalid regex ${JSON.stringify(source)}: ${(err as Error).message}` };
  }
}

/** The error of compileRe2, or undefined when the pattern is accepted. */
export function re2Error(source: string): string | undefined {
  const r = compileRe2(source);
  return r.ok ? undefined : r.error;
}

/**
 * The literal text every match of `source` must start with, for a cheap `startsWith` before running
 * the regex: the characters up to the first metacharacter, less the last one if a quantifier follows
 * it. Empty when the pattern has an alternation anywhere (a `|` could make the prefix optional).
 */
export function literalPrefix(source: string): string {
  if (source.includes('|')) return '';
  let end = 0;
  while (end < source.length && !'\\^$.|?*+()[]{}'.includes(source[end] as string)) end++;
  const next = source[end];
  if (next === '?' || next === '*' || next === '+' || next === '{') end--;
  return source.slice(0, Math.max(0, end));
}
