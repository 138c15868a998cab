import op from '../../ops/flux/flux-reconcile.js';
import { commandFor } from '../../adapters/cli/op-command.js';
import { reconcileLine } from '../../adapters/cli/views/flux.js';

export default commandFor(op, {
  examples: [
    '<%= config.bin %> flux reconcile kustomization flux-system --with-source --yes',
    '<%= config.bin %> flux reconcile helmrelease immich -n immich --yes',
    { description: 'Only send the request; do not wait', command: '<%= config.bin %> flux reconcile gitrepository flux-system --no-wait --yes' },
  ],
  confirm: (input) => `Reconcile ${input.kind} ${input.namespace}/${input.name}${input.withSource ? ' and its source' : ''}?`,
  render: (out, ui) => [...out.sources.map((s) => reconcileLine(s, ui)), reconcileLine(out, ui)].join('\n'),
});
