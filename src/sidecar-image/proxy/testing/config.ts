import type { ProxyConfigInput } from '../../../api/proxy-config.js';

/** A minimal valid proxy config for tests; `patch` overrides top-level fields. */
export function testConfig(patch: Partial<ProxyConfigInput> = {}): ProxyConfigInput {
  return {
    schemaVersion: 1,
    namespace: 'shop',
    trustDomain: 'cluster.local',
    services: [],
    ...patch,
  };
}
