import type { AnyPrompt } from './prompt.js';
import statusReport from './status-report.js';
import securityAudit from './security-audit.js';
import backupVerification from './backup-verification.js';
import serviceDown from './service-down.js';
import mediaMissing from './media-missing.js';

/** Every prompt the MCP door offers, in the order it lists them. */
export const prompts: readonly AnyPrompt[] = [statusReport, securityAudit, backupVerification, serviceDown, mediaMissing];
