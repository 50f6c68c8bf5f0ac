import type { IncomingHttpHeaders } from 'node:http';

/** What the engines read of an HTTP request; the request path builds it once per request. */
export interface RequestView {
  method: string;
  /** The path without the query string. */
  path: string;
  /** The raw query string without the `?`; empty when there is none. */
  query: string;
  /** Node's headers: names lower case, repeated headers joined (set-cookie aside). */
  headers: IncomingHttpHeaders;
}

/** Splits a request target (`/a/b?x=1`) into path and query without a URL object. */
export function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

/** A header's value as one string; an array (set-cookie) is joined as HTTP would fold it. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function decode(raw: string): string {
  if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) return raw;
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    // A malformed escape is kept as written, as most servers do, rather than failing the request.
    return raw;
  }
}

/**
 * The first value of query parameter `name` (decoded), `''` for a bare `?name`, undefined when it is
 * absent. Scans the string instead of building URLSearchParams: most routes never ask.
 */
export function queryValue(query: string, name: string): string | undefined {
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf('&', start);
    if (end < 0) end = query.length;
    const eq = query.indexOf('=', start);
    const keyEnd = eq >= 0 && eq < end ? eq : end;
    if (keyEnd - start === name.length && query.startsWith(name, start)) {
      return keyEnd === end ? '' : decode(query.slice(keyEnd + 1, end));
    }
    start = end + 1;
  }
  return undefined;
}
