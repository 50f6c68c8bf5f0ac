/**
 * IPv4 CIDR helpers. The input is already a valid CIDR (the options schema
 * checks it); these only bring it to the form iptables prints back.
 */

const toNumber = (address: string) =>
  address.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);

const toAddress = (value: number) =>
  [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');

function parse(cidr: string): { base: number; prefix: number } {
  const [address = '', prefix = '32'] = cidr.split('/');
  const bits = Number(prefix);
  const size = 2 ** (32 - bits);
  return { base: Math.floor(toNumber(address) / size) * size, prefix: bits };
}

/** `10.1.2.3/8` → `10.0.0.0/8`: host bits cleared, as iptables stores it. */
export function normalizeCidr(cidr: string): string {
  const { base, prefix } = parse(cidr);
  return `${toAddress(base)}/${prefix}`;
}

/** Without duplicates, by address then prefix length, so equal option sets give equal rules. */
export function sortCidrs(cidrs: readonly string[]): string[] {
  return [...new Set(cidrs)].sort((a, b) => {
    const x = parse(a);
    const y = parse(b);
    return x.base - y.base || x.prefix - y.prefix;
  });
}

/** Whether `address` lies inside `cidr`. */
export function cidrContains(cidr: string, address: string): boolean {
  const { base, prefix } = parse(cidr);
  const size = 2 ** (32 - prefix);
  const value = toNumber(address);
  return value >= base && value < base + size;
}

/** The first host address of a range: `10.96.0.0/12` → `10.96.0.1`. */
export function firstHost(cidr: string): string {
  const { base, prefix } = parse(cidr);
  return toAddress(prefix >= 31 ? base : base + 1);
}
