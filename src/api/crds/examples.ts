import type { AuthorizationPolicySpecInput } from './authorization-policy.js';
import type { DestinationPolicySpecInput } from './destination-policy.js';
import type { MeshConfigSpecInput } from './mesh-config.js';
import type { PeerAuthenticationSpecInput } from './peer-authentication.js';
import type { TrafficRouteSpecInput } from './traffic-route.js';

/**
 * One realistic spec per kind, as a user writes it (defaults left out). docs/crds.md shows them, unit
 * tests parse them and integration tests send them to the API server, so all three agree.
 */
export const examples = {
  MeshConfig: {
    version: '0.1.0',
    mtlsMode: 'STRICT',
    proxy: { logLevel: 'debug' },
    upgrade: { strategy: 'RollingRestart' },
  } satisfies MeshConfigSpecInput,
  TrafficRoute: {
    service: 'reviews',
    rules: [
      {
        name: 'canary-header',
        matches: [{ path: { prefix: '/api/' }, headers: [{ name: 'x-canary', exact: 'true' }] }],
        destinations: [{ service: 'reviews', subset: 'v2' }],
      },
      {
        name: 'split',
        destinations: [
          { service: 'reviews', subset: 'v1', weight: 90 },
          { service: 'reviews', subset: 'v2', weight: 10 },
        ],
        timeout: '5s',
        retries: { attempts: 3, perTryTimeout: '1s', retryOn: ['5xx', 'reset'] },
        headers: { response: { set: { 'x-served-by': 'trellis' } } },
      },
    ],
  } satisfies TrafficRouteSpecInput,
  DestinationPolicy: {
    service: 'reviews',
    subsets: [
      { name: 'v1', labels: { version: 'v1' } },
      { name: 'v2', labels: { version: 'v2' }, policy: { connectionPool: { maxConcurrentRequests: 50 } } },
    ],
    outlierDetection: { consecutive5xxErrors: 3 },
    rateLimit: { maxTokens: 100, tokensPerFill: 50, perIdentity: true },
  } satisfies DestinationPolicySpecInput,
  PeerAuthentication: {
    selector: { matchLabels: { app: 'reviews' } },
    mode: 'STRICT',
    portModes: [{ port: 9090, mode: 'PERMISSIVE' }],
  } satisfies PeerAuthenticationSpecInput,
  AuthorizationPolicy: {
    selector: { matchLabels: { app: 'reviews' } },
    action: 'ALLOW',
    rules: [
      {
        from: [
          { principals: ['spiffe://cluster.local/ns/shop/sa/frontend'] },
          { namespaces: ['monitoring'] },
        ],
        to: [{ methods: ['GET'], paths: ['/api/*'] }],
      },
    ],
  } satisfies AuthorizationPolicySpecInput,
};
