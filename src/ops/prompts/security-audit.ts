import { z } from 'zod';
import { FINDINGS_RULES, definePrompt } from './prompt.js';

export default definePrompt({
  name: 'security_audit',
  title: 'Security audit',
  description:
    'An audit of what is exposed and what is about to break trust: ingresses and their TLS, certificates close to expiry, secrets that stopped syncing, RBAC bindings.',
  arguments: z.object({}),
  tools: ['ingress_status', 'certs_status', 'secrets_status', 'tailscale_status'],
  optionalTools: ['k8s_get'],
  render(_args, offers) {
    const rbac = offers('k8s_get')
      ? 'RBAC: call `k8s_get` with kind `clusterrolebindings`, then `rolebindings` across all namespaces; list every binding to `cluster-admin` or to a role with `*` verbs, and every binding whose subject is a ServiceAccount of an app (not a controller). Secrets are never read, only their metadata.'
      : 'RBAC: homelab has no tool that lists RBAC bindings here. Ask me to run `kubectl get clusterrolebindings -o wide` and paste the result, and review it as below.';
    return [
      'Run a security audit of my homelab. Look, change nothing.',
      '',
      '1. Exposure: call `ingress_status`. For every ingress say which hosts it serves, whether it has TLS, and which ones look reachable from the internet (a public hostname, no TLS, or TLS with a problem). Call `tailscale_status` for what the Tailscale operator exposes (Funnel is public).',
      '2. Certificates: call `certs_status`; list those expired, expiring within 14 days, or whose renewal is failing, with the date they expire.',
      '3. Secrets sync: call `secrets_status`; list every ExternalSecret that is not synced or whose store is not ready, and since when.',
      `4. ${rbac}`,
      '',
      'Write the audit as: a one-line verdict; then "Fix now" (expired or public without TLS, failing secrets), "Fix soon" (expiring, stale), and "Looked at and fine", each item in one line.',
      FINDINGS_RULES,
    ].join('\n');
  },
});
