import op from '../../ops/flux/flux-suspend.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: ['<%= config.bin %> flux suspend helmrelease immich -n immich --yes', '<%= config.bin %> flux suspend kustomization apps --yes'],
  confirm: (input) => `Suspend ${input.kind} ${input.namespace}/${input.name} (Git changes will not be applied to it)?`,
  render: (out, ui) => `${ui.c.yellow('⏸')} ${out.kind} ${out.namespace}/${out.name} ${out.wasSuspended ? 'was already suspended' : 'suspended'}`,
});
