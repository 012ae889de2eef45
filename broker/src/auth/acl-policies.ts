import net from 'node:net';
import { ACTIONS, type Action, type Need } from './request-grants.ts';

export const ACLS_FILE = 'acls.json';

/** One ACL 2.0 policy entry: resources like Topic:orders, Topic:pay* (prefix), Group:*, Cluster:*, or *. */
export interface PolicyEntry {
  resource: string[];
  actions: Action[];
  sourceIps: string[];
  decision: 'Allow' | 'Deny';
}

/** ACL 2.0's AclInfo: the policies of one subject (User:name). */
export interface Acl {
  subject: string;
  policies: { policyType: string; entries: PolicyEntry[] }[];
}

function parseEntry(e: Record<string, unknown>, where: string): PolicyEntry {
  const list = (v: unknown, name: string): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`${where}: ${name} must be a list of strings`);
    return v as string[];
  };
  const resource = list(e.resource, 'resource');
  for (const r of resource) {
    if (r !== '*' && !/^(Topic|Group|Cluster):[^*]*\*?$/.test(r)) throw new Error(`${where}: resource "${r}" is not Topic:NAME, Group:NAME, Cluster:NAME (NAME may end in *) or *`);
  }
  const actions = list(e.actions, 'actions');
  for (const a of actions) if (!(ACTIONS as readonly string[]).includes(a)) throw new Error(`${where}: action "${a}" is not one of ${ACTIONS.join(', ')}`);
  const sourceIps = list(e.sourceIps, 'sourceIps');
  for (const ip of sourceIps) ipRange(ip, where);
  const decision = e.decision ?? 'Allow';
  if (decision !== 'Allow' && decision !== 'Deny') throw new Error(`${where}: decision must be Allow or Deny`);
  return { resource, actions: actions as Action[], sourceIps, decision };
}

/** acls.json: a JSON array of AclInfo ({subject, policies: [{policyType, entries}]}); throws with what is wrong. */
export function parseAcls(text: string): Acl[] {
  const raw: unknown = JSON.parse(text);
  if (!Array.isArray(raw)) throw new Error('want a JSON array of {"subject": "User:NAME", "policies": [...]}');
  return raw.map((a: Record<string, unknown>, i) => {
    if (typeof a?.subject !== 'string' || !a.subject.startsWith('User:')) throw new Error(`acl ${i}: subject must be User:NAME`);
    if (!Array.isArray(a.policies)) throw new Error(`acl ${a.subject}: policies must be a list`);
    return {
      subject: a.subject,
      policies: a.policies.map((p: Record<string, unknown>) => {
        if (!Array.isArray(p?.entries)) throw new Error(`acl ${a.subject}: a policy needs entries`);
        return { policyType: String(p.policyType ?? 'Custom'), entries: p.entries.map((e: Record<string, unknown>) => parseEntry(e, `acl ${a.subject}`)) };
      }),
    };
  });
}

/** An IP (v4 or v6) or a CIDR range. */
function ipRange(text: string, where: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', bits] = text.split('/');
  const version = net.isIP(address);
  if (version === 0) throw new Error(`${where}: source IP "${text}" is not an IP address or CIDR range`);
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`${where}: source IP "${text}" has a bad prefix length`);
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function ipMatches(ranges: readonly string[], ip: string): boolean {
  if (ranges.length === 0) return true;
  const list = new net.BlockList();
  for (const r of ranges) {
    const { address, prefix, family } = ipRange(r, 'sourceIps');
    list.addSubnet(address, prefix, family);
  }
  return list.check(ip, net.isIP(ip) === 6 ? 'ipv6' : 'ipv4');
}

function resourceMatches(pattern: string, need: Need): boolean {
  if (pattern === '*') return true;
  const colon = pattern.indexOf(':');
  if (pattern.slice(0, colon) !== need.type) return false;
  const name = pattern.slice(colon + 1);
  // Tern has one cluster per server, so a Cluster resource matches whatever its name.
  if (need.type === 'Cluster') return true;
  return name.endsWith('*') ? need.name.startsWith(name.slice(0, -1)) : need.name === name;
}

/** Allowed when an Allow entry covers the need from this IP and no Deny entry does (Deny wins); else refused. */
export function decide(acl: Acl | undefined, need: Need, ip: string): 'Allow' | 'Deny' | 'NoMatch' {
  let allowed = false;
  for (const policy of acl?.policies ?? []) {
    for (const e of policy.entries) {
      if (!e.resource.some((r) => resourceMatches(r, need))) continue;
      if (!e.actions.some((a) => a === 'All' || need.actions.includes(a))) continue;
      if (!ipMatches(e.sourceIps, ip)) continue;
      if (e.decision === 'Deny') return 'Deny';
      allowed = true;
    }
  }
  return allowed ? 'Allow' : 'NoMatch';
}
