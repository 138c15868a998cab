#!/usr/bin/env node
// `npm run demo`: start the simulated homelab, run a few commands against it as a user would, stop it.
// Uses the built CLI (dist/), exactly what `npx homelab` runs.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = `${root}bin/run.js`;
const { startSandbox } = await import('@homelab/sandbox');
const { writeSandboxConfig } = await import(`${root}dist/sandbox-config.js`);

const sandbox = await startSandbox({ scenario: 'pi-homelab' });
const configPath = writeSandboxConfig(sandbox);
// Ctrl-C stops the sandbox too, which removes its temp dir (kubeconfig, homelab.yaml, secrets)
process.once('SIGINT', () => void sandbox.stop().then(() => process.exit(130)));
const env = { ...process.env, KUBECONFIG: sandbox.kubeconfigPath, HOMELAB_CONFIG: configPath };

// The sandbox answers from this process's event loop, so the CLI runs asynchronously beside it.
function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout }));
  });
}

async function homelab(args, note) {
  process.stdout.write(`\n\x1b[1m$ homelab ${args.join(' ')}\x1b[0m${note ? `   # ${note}` : ''}\n`);
  const r = await run(args);
  process.stdout.write(r.stdout);
  process.stdout.write(`\x1b[2m(exit ${r.status})\x1b[0m\n`);
  return r;
}

try {
  console.log(`Sandbox cluster "pi-homelab" at ${sandbox.url}`);
  console.log(`export KUBECONFIG=${sandbox.kubeconfigPath} HOMELAB_CONFIG=${configPath}`);

  await homelab(['health'], 'exit 0 ok, 1 warn, 2 crit');

  // Scripts read --json: find the crash-looping pod and ask why it crashed.
  const health = JSON.parse((await run(['health', '--json'])).stdout);
  const crash = health.findings.find((f) => f.reason === 'CrashLoopBackOff');
  if (crash) await homelab(['logs', crash.name, '-n', crash.namespace, '--previous', '--tail', '15'], 'why did it crash?');

  await homelab(['flux', 'status', '--kind', 'helmrelease'], 'GitOps: which release is stuck, and for how long');
  await homelab(['flux', 'heal', 'immich', '-n', 'immich'], 'without --yes: only says what it would do');
  await homelab(['restart', 'kube-system/coredns', '--yes'], 'not in the allow-list: refused');
  await homelab(['restart', 'homepage/homepage', '--yes'], 'allow-listed: rolling restart');
} finally {
  await sandbox.stop();
  console.log('\nSandbox stopped. Run `homelab sandbox` to keep one running, `homelab --help` for everything else.');
}
