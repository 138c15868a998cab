import type { SubsystemCheck } from '../../shared/findings.js';
import { fluxCheck } from '../../flux/status.js';
import { certsCheck } from '../../certs/status.js';
import { secretsCheck } from '../../secrets/status.js';
import { backupsCheck } from '../../backups/status.js';
import { tailscaleCheck } from '../../tailscale/status.js';

/**
 * The platform subsystems `homelab health` summarises in one line each (installed or not). Each is
 * the same check its own status command runs.
 */
export const SUBSYSTEMS: readonly SubsystemCheck[] = [fluxCheck, certsCheck, secretsCheck, tailscaleCheck, backupsCheck];
