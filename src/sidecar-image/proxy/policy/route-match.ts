import type { RouteRule, ServiceRoute } from '../../../api/proxy-config-policies.js';
import { compileRe2, literalPrefix } from './re2.js';
import { headerValue, queryValue, type RequestView } from './request-view.js';

/** A compiled value condition: regexes built once, at config load. */
interface ValueCond {
  name: string;
  kind: 'exact' | 'regex' | 'absent';
  value: string;
  regex: RegExp | undefined;
}

interface CompiledMatch {
  pathKind: 'exact' | 'prefix' | 'regex' | undefined;
  pathValue: string;
  pathRegex: RegExp | undefined;
  method: string | undefined;
  headers: ValueCond[];
  query: ValueCond[];
}

export type CompileResult<T> = { ok: true; value: T } | { ok: false; error: string };

function regexOf(source: string, where: string): RegExp {
  const r = compileRe2(source);
  if (!r.ok) throw new Error(`${where}: ${r.error}`);
  return r.regex;
}

function compileMatch(m: RouteRule['matches'][number], where: string): CompiledMatch {
  const cond = (list: typeof m.headers, what: string, lower: boolean): ValueCond[] =>
    (list ?? []).map((c, i) => ({
      name: lower ? c.name.toLowerCase() : c.name,
      kind: c.kind,
      value: c.kind === 'absent' ? '' : c.value,
      regex: c.kind === 'regex' ? regexOf(c.value, `${where}.${what}[${i}]`) : undefined,
    }));
  return {
    pathKind: m.path?.kind,
    // For a regex: its literal prefix, checked before running it (most paths fail there).
    pathValue: m.path?.kind === 'regex' ? literalPrefix(m.path.value) : (m.path?.value ?? ''),
    pathRegex: m.path?.kind === 'regex' ? regexOf(m.path.value, `${where}.path`) : undefined,
    method: m.method?.toUpperCase(),
    headers: cond(m.headers, 'headers', true),
    query: cond(m.queryParams, 'queryParams', false),
  };
}

function valueHolds(c: ValueCond, v: string | undefined): boolean {
  if (c.kind === 'absent') return v === undefined;
  if (v === undefined) return false;
  return c.kind === 'exact' ? v === c.value : (c.regex as RegExp).test(v);
}

function matchHolds(m: CompiledMatch, req: RequestView): boolean {
  if (m.method !== undefined && req.method !== m.method) return false;
  if (m.pathKind === 'exact' && req.path !== m.pathValue) return false;
  if (m.pathKind === 'prefix' && !req.path.startsWith(m.pathValue)) return false;
  if (m.pathRegex !== undefined && (!req.path.startsWith(m.pathValue) || !m.pathRegex.test(req.path))) {
    return false;
  }
  for (const c of m.headers) if (!valueHolds(c, headerValue(req.headers, c.name))) return false;
  for (const c of m.query) if (!valueHolds(c, queryValue(req.query, c.name))) return false;
  return true;
}

/**
 * The rules of one service route, compiled. `match` returns the index of the first rule with a
 * match that holds (a rule without matches takes every request), or -1: a service with a route and
 * no rule for the request answers 404 with flag NR, as Istio does.
 */
export class RouteMatcher {
  private constructor(private readonly rules: ReadonlyArray<readonly CompiledMatch[]>) {}

  static compile(route: ServiceRoute): CompileResult<RouteMatcher> {
    try {
      const rules = route.rules.map((r, i) =>
        r.matches.map((m, j) => compileMatch(m, `rules[${i}].matches[${j}]`)),
      );
      return { ok: true, value: new RouteMatcher(rules) };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  }

  match(req: RequestView): number {
    for (let i = 0; i < this.rules.length; i++) {
      const matches = this.rules[i] as readonly CompiledMatch[];
      if (matches.length === 0) return i;
      for (const m of matches) if (matchHolds(m, req)) return i;
    }
    return -1;
  }
}
