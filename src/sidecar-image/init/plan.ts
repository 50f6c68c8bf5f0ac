import { chainPrefix, type NatRules } from './rules.js';

/** What the nat table already holds of ours, read from `iptables-save -t nat`. */
interface Existing {
  chains: string[];
  /** Rules in others' chains (PREROUTING, OUTPUT...) that jump into ours. */
  jumps: string[];
}

const ours = (chain: string) => chain.startsWith(chainPrefix);

function readExisting(saved: string): Existing {
  const existing: Existing = { chains: [], jumps: [] };
  let inNat = false;
  for (const line of saved.split('\n')) {
    if (line.startsWith('*')) inNat = line === '*nat';
    if (!inNat) continue;
    const chain = /^:(\S+) /.exec(line)?.[1];
    if (chain && ours(chain)) existing.chains.push(chain);
    const rule = /^-A (\S+) .*-[jg] (\S+)/.exec(line);
    if (rule?.[1] && rule[2] && !ours(rule[1]) && ours(rule[2])) existing.jumps.push(line);
  }
  return existing;
}

/**
 * One iptables-restore transaction (for `--noflush`) that takes the nat table
 * from `saved` to `desired`: it deletes the jumps into our chains, drops our
 * chains that are no longer wanted, empties (or creates) the wanted ones, and
 * appends the rules. Everyone else's rules stay as they are, and running it
 * again gives the same table, because nothing is added without first removing
 * what an earlier run added.
 */
export function planRestore(saved: string, desired: NatRules): string {
  const existing = readExisting(saved);
  const stale = existing.chains.filter((chain) => !desired.chains.includes(chain));
  return [
    '*nat',
    ...existing.jumps.map((rule) => rule.replace(/^-A /, '-D ')),
    // A stale chain must be empty before it can go, and may still be jumped to by another stale one.
    ...stale.map((chain) => `-F ${chain}`),
    ...stale.map((chain) => `-X ${chain}`),
    // In --noflush mode a chain line creates the chain, or empties it when it exists.
    ...desired.chains.map((chain) => `:${chain} - [0:0]`),
    ...desired.rules,
    'COMMIT',
    '',
  ].join('\n');
}
