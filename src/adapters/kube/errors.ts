import { Forbidden, NotFound, Timeout, Upstream, UserError, type HomelabError } from '../../core/errors.js';

/** What a request was trying to do, so a refusal can say exactly what is missing. */
export interface RequestIntent {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
  server: string;
}

interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
}

export function parseStatus(text: string): StatusBody | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object' && (body as StatusBody).kind === 'Status') return body as StatusBody;
  } catch {
    /* not JSON: some proxies answer HTML */
  }
  return undefined;
}

function what(intent: RequestIntent): string {
  const resource = intent.group ? `${intent.resource}.${intent.group}` : intent.resource;
  const scope = intent.namespace ? ` in namespace ${intent.namespace}` : intent.name ? '' : ' across the cluster';
  return `${resource}${intent.name ? ` "${intent.name}"` : ''}${scope}`;
}

/** Turns an HTTP error from the API server into the typed error a person can act on. */
export function translateHttpError(status: number, bodyText: string, intent: RequestIntent): HomelabError {
  const body = parseStatus(bodyText);
  const serverSays = body?.message ?? (bodyText.trim().slice(0, 200) || `HTTP ${status}`);
  switch (status) {
    case 401:
      return new Forbidden(`the Kubernetes API at ${intent.server} rejected our credentials (401 Unauthorized)`, {
        hint: 'the token or client certificate in the kubeconfig is missing, expired or not trusted',
      });
    case 403:
      return new Forbidden(`forbidden: needs \`${intent.verb}\` on ${what(intent)}`, {
        hint: `the API server said: ${serverSays}. Grant the verb in the Role/ClusterRole bound to this identity.`,
      });
    case 404:
      return new NotFound(
        intent.name
          ? `${intent.resource} "${intent.name}" not found${intent.namespace ? ` in namespace ${intent.namespace}` : ''}`
          : `not found: ${serverSays}`,
      );
    case 400:
    case 422:
      return new UserError(`the Kubernetes API refused the request: ${serverSays}`);
    case 409:
      return new Upstream(`conflict while trying to ${intent.verb} ${what(intent)}: ${serverSays}`, { hint: 'someone else changed it; try again' });
    case 429:
      return new Upstream(`the Kubernetes API at ${intent.server} is rate limiting us (429)`, { hint: 'try again in a moment' });
    case 504:
      return new Timeout(`the Kubernetes API at ${intent.server} timed out: ${serverSays}`);
    default:
      return new Upstream(`the Kubernetes API answered ${status} to ${intent.verb} ${what(intent)}: ${serverSays}`);
  }
}

const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_TLS|ERR_SSL|HOSTNAME_MISMATCH)/;

/** Turns a socket-level failure into one line that names the server. */
export function translateNetworkError(err: NodeJS.ErrnoException, server: string): HomelabError {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') {
    return new Upstream(`cannot reach the Kubernetes API at ${server}: connection refused`, {
      hint: 'is the cluster running? check --context and the kubeconfig in use',
    });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new Upstream(`cannot resolve the Kubernetes API host of ${server}`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return new Upstream(`cannot reach the Kubernetes API at ${server}: host unreachable`);
  if (code === 'ECONNRESET') return new Upstream(`the connection to the Kubernetes API at ${server} was reset`);
  if (code === 'ETIMEDOUT') return new Timeout(`timed out connecting to the Kubernetes API at ${server}`);
  if (TLS_CODES.test(code)) {
    return new Upstream(`TLS error talking to the Kubernetes API at ${server}: ${err.message} (${code})`, {
      hint: "the kubeconfig's certificate-authority does not match the server",
    });
  }
  return new Upstream(`request to the Kubernetes API at ${server} failed: ${err.message}`);
}
