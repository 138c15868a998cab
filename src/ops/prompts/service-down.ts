import { z } from 'zod';
import { FINDINGS_RULES, definePrompt, promptText } from './prompt.js';

export default definePrompt({
  name: 'service_down',
  title: 'Why is this service down?',
  description: 'Follows a service from its hostname to its pods and its Flux release, and stops at the first broken link with the evidence and the fix.',
  arguments: z.object({
    service: promptText(253).describe('What is down: a hostname (jellyfin.lab), a URL, or an app, Deployment or HelmRelease name'),
  }),
  tools: ['cluster_health', 'ingress_status', 'pods_logs', 'flux_status', 'certs_status', 'dns_diagnose'],
  optionalTools: ['why'],
  render({ service }, offers) {
    const walk = offers('why')
      ? [
          `Call \`why\` with target \`${service}\`. It walks the chain (DNS, ingress, service, endpoints, pods, the Flux release, certificates) and names the first broken link with its evidence.`,
          'If it lists candidates because the name is ambiguous, pick the one I most likely mean and call it again (each candidate comes with its call).',
          'If it could not check a link, look at that link yourself: `dns_diagnose` (a hostname), `ingress_status` and `certs_status`, `cluster_health` and `pods_logs` (the pods), `flux_status` (the release).',
        ]
      : [
          `Find the first broken link between me and \`${service}\`, from the outside in, and stop there:`,
          '1. DNS: when it is a hostname, call `dns_diagnose` with it.',
          '2. Ingress and TLS: call `ingress_status` and `certs_status`; find the ingress serving it and its certificate.',
          `3. Pods: call \`cluster_health\`; look for findings about pods of \`${service}\` (CrashLoopBackOff, ImagePullBackOff, NotReady, Unschedulable). For a crashing pod read its previous logs (\`pods_logs\` with previous, as its fix says).`,
          `4. Release: call \`flux_status\`; a failing HelmRelease or Kustomization of \`${service}\` is often the root cause.`,
        ];
    return [
      `My service \`${service}\` is down. Find out why.`,
      '',
      ...walk,
      '',
      'Answer with: the broken link in one line, the evidence (the condition or log lines, quoted short), and the fix. Say what you checked that was fine.',
      FINDINGS_RULES,
      'A fix that changes something (a restart, a heal) is a write: offer it and let me confirm it; do not call it on your own.',
    ].join('\n');
  },
});
