import op from '../../ops/flux/flux-resume.js';
import { commandFor } from '../../adapters/cli/op-command.js';
import { reconcileLine } from '../../adapters/cli/views/flux.js';

export default commandFor(op, {
  examples: ['<%= config.bin %> flux resume helmrelease immich -n immich --yes', '<%= config.bin %> flux resume kustomization apps --no-wait --yes'],
  confirm: (input) => `Resume ${input.kind} ${input.namespace}/${input.name}?`,
  render: (out, ui) => `${out.wasSuspended ? '' : ui.c.dim('(it was not suspended)\n')}${reconcileLine(out, ui)}`,
});
