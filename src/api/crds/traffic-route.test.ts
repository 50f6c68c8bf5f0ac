import { describe, expect, it } from 'vitest';
import { toStructural } from './structural.js';
import { trafficRoute, trafficRouteCrd, trafficRouteSpec } from './traffic-route.js';

type Node = {
  properties?: Record<string, Node>;
  items?: Node;
  'x-kubernetes-validations'?: { rule: string }[];
};
const schema = toStructural(trafficRouteSpec) as Node;
const rule = schema.properties?.rules?.items ?? {};

const route = (r: Record<string, unknown>) => ({
  service: 'reviews',
  rules: [{ destinations: [{ service: 'reviews' }], ...r }],
});

describe('TrafficRoute spec', () => {
  it('fills retry defaults when retries are asked for', () => {
    const spec = trafficRouteSpec.parse(route({ retries: {} }));
    expect(spec.rules[0]?.retries).toEqual({
      attempts: 2,
      retryOn: ['connect-failure', 'refused-stream'],
      retryOnStatusCodes: [503],
      retryOnGrpcCodes: ['cancelled', 'unavailable'],
      backoff: { baseInterval: '25ms', maxInterval: '250ms' },
    });
  });

  it('fills fault and mirror percentages with 100', () => {
    const spec = trafficRouteSpec.parse(
      route({ fault: { abort: { httpStatus: 503 } }, mirror: { service: 'reviews-shadow' } }),
    );
    expect(spec.rules[0]?.fault?.abort?.percent).toBe(100);
    expect(spec.rules[0]?.mirror?.percent).toBe(100);
  });

  it('refuses bad values', () => {
    expect(trafficRouteSpec.safeParse(route({ timeout: 'soon' })).success).toBe(false);
    expect(trafficRouteSpec.safeParse(route({ retries: { retryOn: ['always'] } })).success).toBe(false);
    expect(
      trafficRouteSpec.safeParse(route({ fault: { delay: { fixedDelay: '1s', percent: 150 } } })).success,
    ).toBe(false);
    expect(trafficRouteSpec.safeParse({ service: 'reviews', rules: [] }).success).toBe(false);
    expect(trafficRouteSpec.safeParse(route({ matches: [{ path: { exact: 'no-slash' } }] })).success).toBe(
      false,
    );
  });

  it('asks the API server to check weights, per-try timeouts and rule order', () => {
    expect(rule.properties?.destinations?.['x-kubernetes-validations']?.[0]?.rule).toContain('.sum() == 100');
    expect(rule['x-kubernetes-validations']?.[0]?.rule).toContain(
      'duration(self.retries.perTryTimeout) <= duration(self.timeout)',
    );
    expect(schema.properties?.rules?.['x-kubernetes-validations']?.[0]?.rule).toContain(
      'self[self.size() - 1]',
    );
  });

  it('asks for exactly one of exact, prefix and regex in a path match', () => {
    const path = rule.properties?.matches?.items?.properties?.path;
    expect(path?.['x-kubernetes-validations']?.[0]?.rule).toBe(
      '(has(self.exact) ? 1 : 0) + (has(self.prefix) ? 1 : 0) + (has(self.regex) ? 1 : 0) == 1',
    );
  });
});

describe('TrafficRoute CRD', () => {
  it('is namespaced with short name tr and shows its service', () => {
    expect(trafficRouteCrd.shortNames).toEqual(['tr']);
    expect(trafficRouteCrd.printerColumns[0]).toMatchObject({ name: 'Service', jsonPath: '.spec.service' });
  });
});

describe('trafficRoute', () => {
  it('parses a whole namespaced object', () => {
    const parsed = trafficRoute.parse({
      apiVersion: 'trellis.dev/v1alpha1',
      kind: 'TrafficRoute',
      metadata: { name: 'reviews', namespace: 'shop' },
      spec: route({}),
    });
    expect(parsed.metadata.namespace).toBe('shop');
    expect(parsed.spec.rules).toHaveLength(1);
  });
});
