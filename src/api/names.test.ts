import { describe, expect, it } from 'vitest';
import { identitySecretName, spiffeId } from './names.js';

describe('names', () => {
  it('builds SPIFFE IDs as DESIGN.md fixes them', () => {
    expect(spiffeId('cluster.local', 'shop', 'orders')).toBe('spiffe://cluster.local/ns/shop/sa/orders');
  });

  it('names identity Secrets after the service account', () => {
    expect(identitySecretName('orders')).toBe('trellis-identity-orders');
  });
});
