import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { destinationPolicySpec } from '../../../src/api/crds/destination-policy.js';
import { trafficRouteSpec } from '../../../src/api/crds/traffic-route.js';
import { resolveImage } from '../node-agent/images.js';
import { sampleObjects, toYaml } from './sample.js';

const objects = sampleObjects({ namespace: 'shop', rate: 5 });
const named = (kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata?.name === name) as Record<string, never> & {
    spec: Record<string, never>;
  };

describe('sampleObjects', () => {
  it('creates Services before the Deployments whose pods read their service links', () => {
    const order = objects.map((o) => `${o.kind}/${o.metadata?.name}`);
    expect(order.indexOf('Service/payments')).toBeLessThan(order.indexOf('Deployment/orders'));
    expect(order.indexOf('Service/orders')).toBeLessThan(order.indexOf('Deployment/frontend'));
    expect(order.indexOf('Service/frontend')).toBeLessThan(order.indexOf('Deployment/loadgen'));
  });

  it('meshes every workload by label, each with a ServiceAccount of its own, on images the node agent knows', () => {
    const deployments = objects.filter((o) => o.kind === 'Deployment') as {
      spec: {
        template: {
          metadata: { labels: Record<string, string> };
          spec: { serviceAccountName: string; containers: { image: string }[] };
        };
      };
    }[];
    expect(deployments).toHaveLength(5);
    for (const d of deployments) {
      expect(d.spec.template.metadata.labels['trellis.dev/inject']).toBe('true');
      expect(
        objects.some(
          (o) => o.kind === 'ServiceAccount' && o.metadata?.name === d.spec.template.spec.serviceAccountName,
        ),
      ).toBe(true);
      expect(
        resolveImage(d.spec.template.spec.containers[0]?.image ?? '', undefined, undefined),
      ).toBeDefined();
    }
  });

  it('splits payments 90/10 by default, with a route and subsets the CRD schemas accept', () => {
    expect(
      trafficRouteSpec.parse(named('TrafficRoute', 'payments').spec).rules[0]?.destinations,
    ).toMatchObject([
      { subset: 'v1', weight: 90 },
      { subset: 'v2', weight: 10 },
    ]);
    expect(destinationPolicySpec.parse(named('DestinationPolicy', 'payments').spec).subsets).toHaveLength(2);
    const custom = sampleObjects({ namespace: 'shop', canaryWeight: 50 }).find(
      (o) => o.kind === 'TrafficRoute',
    ) as {
      spec: { rules: { destinations: { weight: number }[] }[] };
    };
    expect(custom.spec.rules[0]?.destinations.map((d) => d.weight)).toEqual([50, 50]);
  });

  it("leaves the loadgen's control port out of inbound capture and passes the rate", () => {
    const loadgen = named('Deployment', 'loadgen') as unknown as {
      spec: {
        template: {
          metadata: { annotations: Record<string, string> };
          spec: { containers: { env: { name: string; value?: string }[] }[] };
        };
      };
    };
    expect(loadgen.spec.template.metadata.annotations).toEqual({
      'trellis.dev/exclude-inbound-ports': '9901',
    });
    expect(loadgen.spec.template.spec.containers[0]?.env).toContainEqual({ name: 'RATE', value: '5' });
  });
});

describe('toYaml', () => {
  it('writes one document per object, read back the same', () => {
    const docs = parseAllDocuments(toYaml(objects)).map((d) => d.toJS());
    expect(docs).toEqual(JSON.parse(JSON.stringify(objects)));
  });
});
