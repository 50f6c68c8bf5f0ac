import { describe, expect, it } from 'vitest';
import { outdatedPods, outdatedReport, proxyVersionOf, sampleLimit } from './outdated.js';
import { pod } from './testing/fixtures.js';

describe('proxyVersionOf', () => {
  it('reads the injector status annotation, then the proxy-version label', () => {
    expect(proxyVersionOf(pod('p', { version: '0.1.0' }))).toBe('0.1.0');
    const labelled = pod('p');
    labelled.metadata = { ...labelled.metadata, labels: { 'trellis.dev/proxy-version': '0.0.9' } };
    expect(proxyVersionOf(labelled)).toBe('0.0.9');
  });

  it('is undefined for a status annotation that is not ours', () => {
    for (const value of ['not json', '{"version": 3}', '[]']) {
      expect(proxyVersionOf(pod('p', { annotations: { 'trellis.dev/status': value } }))).toBeUndefined();
    }
  });
});

describe('outdated pods', () => {
  it('counts running meshed pods not at the installed version, unknown versions included', () => {
    const garbled = pod('garbled', { version: '0.1.0' });
    garbled.metadata = { ...garbled.metadata, annotations: { 'trellis.dev/status': 'garbage' } };
    const pods = [
      pod('current', { version: '0.2.0' }),
      pod('old', { version: '0.1.0' }),
      pod('done', { version: '0.1.0', phase: 'Succeeded' }),
      pod('plain'),
      garbled,
    ];
    expect(outdatedPods(pods, '0.2.0').map((p) => p.metadata?.name)).toEqual(['old', 'garbled']);
    expect(outdatedReport(pods, '0.2.0')).toEqual({
      count: 2,
      pods: [
        { namespace: 'shop', name: 'garbled' },
        { namespace: 'shop', name: 'old', version: '0.1.0' },
      ],
    });
  });

  it('lists at most 100, sorted, and counts them all', () => {
    const pods = Array.from({ length: 150 }, (_, i) =>
      pod(`p-${String(149 - i).padStart(3, '0')}`, { version: '0.1.0' }),
    );
    const report = outdatedReport(pods, '0.2.0');
    expect(report.count).toBe(150);
    expect(report.pods).toHaveLength(sampleLimit);
    expect(report.pods?.[0]?.name).toBe('p-000');
    expect(report.pods?.[99]?.name).toBe('p-099');
  });

  it('leaves the list out when nothing is outdated', () => {
    expect(outdatedReport([pod('p', { version: '0.2.0' })], '0.2.0')).toEqual({ count: 0 });
  });

  it('omits a version longer than status allows rather than failing the status write', () => {
    const long = 'x'.repeat(65);
    expect(outdatedReport([pod('p', { version: long })], '0.2.0')).toEqual({
      count: 1,
      pods: [{ namespace: 'shop', name: 'p' }],
    });
  });
});
