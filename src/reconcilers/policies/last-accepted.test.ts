import { describe, expect, it } from 'vitest';
import type { MeshObject } from '../observed.js';
import { compilePolicies } from './compile.js';
import { LastAccepted } from './last-accepted.js';

const services = [
  { namespace: 'shop', name: 'reviews', ports: [{ name: 'http', port: 9080 }] },
  { namespace: 'shop', name: 'ratings', ports: [{ name: 'http', port: 8080 }] },
];

function route(name: string, generation: number, spec: unknown, uid: string | undefined = `uid-${name}`) {
  const created = name === 'old' ? '2025-01-01T00:00:00Z' : '2025-01-02T00:00:00Z';
  const obj: MeshObject = {
    apiVersion: 'trellis.dev/v1alpha1',
    kind: 'TrafficRoute',
    metadata: {
      namespace: 'shop',
      name,
      generation,
      creationTimestamp: new Date(created),
      ...(uid ? { uid } : {}),
    },
    spec,
  };
  return obj;
}

const to = (service: string, dest = service) => ({ service, rules: [{ destinations: [{ service: dest }] }] });
const badRegex = {
  service: 'reviews',
  rules: [{ matches: [{ path: { regex: '(unclosed' } }], destinations: [{ service: 'reviews' }] }],
};
const badWeights = {
  service: 'reviews',
  rules: [
    {
      destinations: [
        { service: 'reviews', weight: 50 },
        { service: 'ratings', weight: 20 },
      ],
    },
  ],
};

const build = (objects: readonly MeshObject[]) => ({ compiled: compilePolicies({ objects, services }) });

/** Compiles each list in turn with one memory; returns the last compilation. */
function sequence(...rounds: MeshObject[][]) {
  const memory = new LastAccepted();
  let last = build([]);
  for (const objects of rounds) last = memory.compile(objects, build);
  return { ...last.compiled, memory };
}

const outcome = (c: ReturnType<typeof sequence>, name: string) => c.outcomes.find((o) => o.name === name);
const destinationsOf = (c: ReturnType<typeof sequence>) =>
  c.policies.routes.map((r) => `${r.source} -> ${r.rules.map((x) => x.destinations[0]?.service).join(',')}`);

describe('LastAccepted', () => {
  it.each<[string, MeshObject[][], string[], Record<string, string>]>([
    [
      'valid edited into an invalid regex: generation 1 stays, Accepted False says so',
      [[route('a', 1, to('reviews'))], [route('a', 2, badRegex)]],
      ['TrafficRoute shop/a -> reviews'],
      {
        status: 'False',
        reason: 'InvalidRegex',
        message: expect.stringMatching(
          /^generation 2 is not in effect: spec\.rules\[0\]\.matches\[0\]\.path\.regex: .+; generation 1 stays in effect$/,
        ),
      },
    ],
    [
      'valid edited into weights that do not sum to 100',
      [[route('a', 1, to('reviews'))], [route('a', 2, badWeights)]],
      ['TrafficRoute shop/a -> reviews'],
      {
        status: 'False',
        reason: 'Invalid',
        message:
          'generation 2 is not in effect: spec.rules[0].destinations: weights must sum to 100, not 70; generation 1 stays in effect',
      },
    ],
    [
      'valid edited into one failing the schema (no rules)',
      [[route('a', 1, to('reviews'))], [route('a', 2, { service: 'reviews', rules: [] })]],
      ['TrafficRoute shop/a -> reviews'],
      {
        status: 'False',
        reason: 'Invalid',
        message: expect.stringMatching(/; generation 1 stays in effect$/),
      },
    ],
    [
      'invalid, then fixed: the new version is in effect',
      [[route('a', 1, to('reviews'))], [route('a', 2, badRegex)], [route('a', 3, to('reviews', 'ratings'))]],
      ['TrafficRoute shop/a -> ratings'],
      { status: 'True', reason: 'Accepted', message: 'the spec is valid and in effect' },
    ],
    [
      'two invalid edits in a row: still the last accepted generation',
      [[route('a', 1, to('reviews'))], [route('a', 2, badRegex)], [route('a', 3, badWeights)]],
      ['TrafficRoute shop/a -> reviews'],
      {
        status: 'False',
        reason: 'Invalid',
        message: expect.stringMatching(/^generation 3 .+ generation 1 stays/),
      },
    ],
    [
      'invalid from the start: nothing to keep, left out',
      [[route('a', 1, badRegex)]],
      [],
      { status: 'False', reason: 'InvalidRegex', message: expect.stringMatching(/^not in effect: /) },
    ],
    [
      'no uid (not from the API server): nothing remembered',
      [[route('a', 1, to('reviews'), '')], [route('a', 2, badRegex, '')]],
      [],
      { status: 'False', reason: 'InvalidRegex', message: expect.stringMatching(/^not in effect: /) },
    ],
    [
      'deleted and created again under the same name (new uid): the old one is not revived',
      [[route('a', 1, to('reviews'), 'first')], [], [route('a', 1, badRegex, 'second')]],
      [],
      { status: 'False', reason: 'InvalidRegex', message: expect.stringMatching(/^not in effect: /) },
    ],
  ])('%s', (_name, rounds, routes, accepted) => {
    const c = sequence(...rounds);
    expect(destinationsOf(c)).toEqual(routes);
    expect(outcome(c, 'a')?.accepted).toEqual(accepted);
  });

  it('a valid route edited into a conflict with an older one keeps its last accepted service', () => {
    const old = route('old', 1, to('reviews'));
    const c = sequence([old, route('a', 1, to('ratings'))], [old, route('a', 2, to('reviews'))]);
    expect(destinationsOf(c)).toEqual(['TrafficRoute shop/a -> ratings', 'TrafficRoute shop/old -> reviews']);
    expect(outcome(c, 'a')?.accepted).toEqual({
      status: 'False',
      reason: 'Conflicted',
      message:
        'generation 2 is not in effect: TrafficRoute shop/old already routes Service shop/reviews; generation 1 stays in effect',
    });
    expect(outcome(c, 'a')?.resolvedRefs).toEqual({
      status: 'True',
      reason: 'ResolvedRefs',
      message: 'generation 1: every reference resolves',
    });
  });

  it('a kept version that now conflicts is refused with the current refusal', () => {
    // a (younger) routes ratings; then an older route takes ratings and a is edited invalid.
    const c = sequence(
      [route('a', 1, to('ratings'))],
      [route('old', 1, to('ratings')), route('a', 2, badRegex)],
    );
    expect(destinationsOf(c)).toEqual(['TrafficRoute shop/old -> ratings']);
    expect(outcome(c, 'a')?.accepted).toMatchObject({ status: 'False', reason: 'InvalidRegex' });
    expect(outcome(c, 'a')?.resolvedRefs.status).toBe('Unknown');
  });

  it('forgets deleted objects', () => {
    expect(sequence([route('a', 1, to('reviews'))]).memory.size).toBe(1);
    expect(sequence([route('a', 1, to('reviews'))], []).memory.size).toBe(0);
  });

  it('same input, same bytes: the kept version compiles as it did when accepted', () => {
    const first = sequence([route('a', 1, to('reviews'))]);
    const kept = sequence([route('a', 1, to('reviews'))], [route('a', 2, badRegex)]);
    expect(JSON.stringify(kept.policies)).toBe(JSON.stringify(first.policies));
  });
});
