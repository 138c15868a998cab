import { z } from 'zod';
import { cutList, limitSchema, truncation, truncationShape } from '../shared/bounded.js';
import { defineOp } from '../../core/op.js';
import { Upstream } from '../../core/errors.js';
import { objectNameSchema } from '../../core/schemas.js';
import { findingsSchema, problemsLine, sortFindings, summarizeStatus, verdictOf, verdictSchema, type Finding } from '../shared/findings.js';
import { execRbac, requireSuccess, runIn, type ExecTarget } from '../shared/exec.js';
import { NODE_RBAC, agentOnNode } from '../shared/debug-agent.js';
import { ParseError, linkSchema, parseIpAddr, parseIpRoute, parseIpRule, routeSchema, ruleSchema } from './parse-ip.js';

/** Runs `ip -j …` in the agent and parses it; unreadable output is the agent's fault, said so. */
export async function ipJson<T>(
  ctx: Parameters<typeof runIn>[0],
  target: ExecTarget,
  object: 'addr' | 'route' | 'rule',
  parse: (text: string) => T,
): Promise<T> {
  const result = requireSuccess(await runIn(ctx, target, ['ip', '-j', object, 'show']), `ip -j ${object}`, target);
  try {
    return parse(result.stdout);
  } catch (err) {
    if (err instanceof ParseError) throw new Upstream(`cannot read the output of ip -j ${object} in the ${target.label}: ${err.message}`);
    throw err;
  }
}

/** Links, routes and rules an assistant gets when it does not say: a node has a veth link per pod. */
const DEFAULT_ROWS = 8;

export default defineOp({
  name: 'net_node',
  title: 'Network of a node',
  description: "A node's links, addresses, routes and policy rules, from its debug agent. Use it when pods on one node cannot reach the LAN or each other.",
  effect: 'read',
  input: z
    .object({
      node: objectNameSchema,
      limit: limitSchema(DEFAULT_ROWS),
    })
    .strict(),
  output: z.object({
    verdict: verdictSchema,
    summary: z.string().describe('One line: links, addresses, default route, and the worst finding'),
    node: z.string(),
    agentPod: z.string().describe('The debug agent pod the commands ran in (namespace/name)'),
    links: z.array(linkSchema),
    routes: z.array(routeSchema).describe('The main routing table (IPv4)'),
    defaultRoute: routeSchema.optional().describe('The route for "default", when there is one'),
    rules: z.array(ruleSchema).describe('Policy routing rules, in priority order'),
    findings: findingsSchema,
    ...truncationShape,
  }),
  rbac: [...execRbac('debugAgent'), NODE_RBAC],
  timeoutMs: 30_000,
  args: ['node'],
  async run(ctx, input) {
    const target = await agentOnNode(ctx, input.node);
    const [links, routes, rules] = await Promise.all([
      ipJson(ctx, target, 'addr', parseIpAddr),
      ipJson(ctx, target, 'route', parseIpRoute),
      ipJson(ctx, target, 'rule', parseIpRule),
    ]);
    const findings: Finding[] = [];
    for (const link of links) {
      if (!link.up && link.addresses.length) {
        findings.push({
          severity: 'warn',
          kind: 'Link',
          name: link.name,
          reason: 'LinkDownWithAddresses',
          message: `${link.name} is ${link.state}${link.flags.includes('UP') ? ' (no carrier)' : ''} but has ${link.addresses.map((a) => a.cidr).join(', ')}: traffic for those addresses goes nowhere`,
        });
      }
    }
    const defaultRoute = routes.find((r) => r.dst === 'default' && (r.type === undefined || r.type === 'unicast'));
    if (!defaultRoute) {
      findings.push({
        severity: 'crit',
        kind: 'Node',
        name: input.node,
        reason: 'NoDefaultRoute',
        message: 'no default route: the node reaches only its directly connected networks (no internet, no other subnets)',
      });
    }
    sortFindings(findings);
    const addressCount = links.reduce((n, l) => n + l.addresses.length, 0);
    const scope = `${links.length} links (${links.filter((l) => l.up).length} up), ${addressCount} addresses, ${routes.length} routes, ${rules.length} rules`;
    const via = defaultRoute ? `default via ${defaultRoute.gateway ?? '?'} dev ${defaultRoute.dev ?? '?'}` : 'no default route';
    const summary = `${input.node}: ${problemsLine(findings, scope) ?? `${scope}; ${via}`}`;
    const limit = input.limit ?? DEFAULT_ROWS;
    const shownLinks = cutList(links, limit, {
      by: (l) => (l.up ? 'up' : 'down'),
      // A link down with addresses first, then those with addresses (not only link-local), then any up: a pod's veth comes last.
      rank: (l) => (!l.up && l.addresses.length ? 3 : l.addresses.some((a) => !a.address.startsWith('fe80:')) ? 2 : l.up ? 1 : 0),
      narrow: 'limit',
    });
    const shownRoutes = cutList(routes, limit, { by: (r) => r.dev, rank: (r) => (r === defaultRoute ? 1 : 0), narrow: 'limit' });
    const shownRules = cutList(rules, limit, { by: (r) => r.table ?? r.action, narrow: 'limit' });
    return {
      verdict: verdictOf(findings),
      summary,
      node: input.node,
      agentPod: `${target.namespace}/${target.pod}`,
      links: shownLinks.rows,
      routes: shownRoutes.rows,
      defaultRoute,
      rules: shownRules.rows,
      findings,
      ...truncation({ links: shownLinks.cut, routes: shownRoutes.cut, rules: shownRules.cut }),
    };
  },
  summarize: summarizeStatus,
});
