import op from '../../ops/nas/nas-touch.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    {
      description: 'After copying a new season: let Jellyfin on the NAS rescan that show',
      command: '<%= config.bin %> nas touch "/volume1/video/TV/Some Show" --yes',
    },
    { description: 'Create an empty file when the path does not exist', command: '<%= config.bin %> nas touch /volume1/video/.rescan --create --yes' },
  ],
  confirm: (input) => `${input.create ? 'Touch (or create)' : 'Touch'} ${JSON.stringify(input.path)} on the NAS?`,
  render: (out, ui) =>
    `${ui.c.green(out.created ? 'created' : 'touched')} ${out.path} on the NAS ${out.nas} (root ${out.root}${out.path === out.requested ? '' : `; asked: ${out.requested}`})`,
});
