/**
 * Raw HTTPS requests to a sandbox (trusting its CA), and kubectl runs against it: the sandbox package's
 * own test clients, which leave nothing in the temp directory (each kubectl run's cache goes with it).
 */
export { api, hasKubectl, KUBECTL, kubectl, type RawResponse, type Run } from '../../packages/sandbox/test/clients.js';
