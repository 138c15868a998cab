/**
 * The credentials of a kubeconfig user, applied per request as client-go's transport does
 * (k8s.io/client-go/transport: round_trippers.go, token_source.go; plugin/pkg/client/auth):
 * - a token file wins over a static token and is re-read every minute and after a 401 (a
 *   read failure keeps the last good token);
 * - a static token, or basic auth (username/password), never both;
 * - a client certificate is TLS, beside any of those;
 * - an exec plugin runs only when none of the above is set; its credential is kept until its
 *   expirationTimestamp, or until the API server answers 401 to it;
 * - the oidc auth-provider's id-token is sent while it is valid (kubectl would refresh it with the
 *   refresh-token and write it back to the kubeconfig; homelab does not write the kubeconfig);
 * - impersonation (as, as-uid, as-groups, as-user-extra) adds Impersonate-* headers.
 */
import { readFile } from 'node:fs/promises';
import { Forbidden, UserError } from '../../core/errors.js';
import type { ExecCredentialResult, ExecPluginConfig, PluginEnvironment } from './exec-plugin.js';

export interface AuthConfig {
  /** `user "NAME" in FILE`, for messages */
  owner: string;
  token?: string;
  /** absolute path */
  tokenFile?: string;
  username?: string;
  password?: string;
  /** a static client certificate is configured (it rules out the exec plugin) */
  hasClientCertificate: boolean;
  exec?: ExecPluginConfig;
  oidc?: { idToken: string | undefined; canRefresh: boolean; owner: string };
  impersonate?: { user: string; uid: string | undefined; groups: string[]; extra: Record<string, string[]> };
}

/** What one request carries; hand it back to onUnauthorized when the API server answers 401. */
export interface Credential {
  headers: Record<string, string | string[]>;
  /** from an exec plugin; a static client certificate is TLS configuration, not here */
  cert?: string;
  key?: string;
  source: 'none' | 'token' | 'token-file' | 'basic' | 'exec' | 'oidc';
}

export interface CredentialEnvironment extends PluginEnvironment {
  now: () => number;
}

/** client-go's file token source re-reads the file after this long (cachingTokenSource, one minute). */
export const TOKEN_FILE_REREAD_MS = 60_000;
/** client-go's oidc provider treats an id-token as expired this long before its exp. */
const OIDC_EXPIRY_DELTA_MS = 10_000;

/** Header keys must be HTTP tokens; client-go percent-encodes the rest of an Impersonate-Extra key. */
function headerKeyEscape(key: string): string {
  return [...Buffer.from(key, 'utf8')]
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9!#$&'*+.^_`|~-]/.test(c) && c !== '%' ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

function jwtExpiry(token: string, owner: string): number {
  const payload = token.split('.')[1];
  if (token.split('.').length !== 3 || payload === undefined) throw new UserError(`the oidc id-token of ${owner} is not a JWT`);
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    if (typeof claims.exp !== 'number') throw new Error('no exp claim');
    return claims.exp * 1000;
  } catch (err) {
    throw new UserError(`the oidc id-token of ${owner} cannot be read: ${(err as Error).message}`);
  }
}

export class Credentials {
  private fileToken: { value: string; readAt: number } | undefined;
  private execCached: { credential: Credential; expiresAt: number | undefined } | undefined;
  private execRunning: Promise<Credential> | undefined;
  private readonly impersonation: Record<string, string | string[]>;

  constructor(
    private readonly auth: AuthConfig,
    private readonly environment: CredentialEnvironment,
  ) {
    const headers: Record<string, string | string[]> = {};
    const imp = auth.impersonate;
    if (imp) {
      headers['Impersonate-User'] = imp.user;
      if (imp.uid) headers['Impersonate-Uid'] = imp.uid;
      if (imp.groups.length) headers['Impersonate-Group'] = imp.groups;
      for (const [k, v] of Object.entries(imp.extra)) headers[`Impersonate-Extra-${headerKeyEscape(k)}`] = v;
    }
    this.impersonation = headers;
    if (auth.tokenFile && (auth.username || auth.password)) {
      throw new UserError(`${auth.owner} has both a tokenFile and a username/password; kubectl allows only one`);
    }
  }

  /** Checks at load time what kubectl checks then: a token file is readable when it is the only token. */
  async check(): Promise<void> {
    if (this.auth.tokenFile && !this.auth.token) await this.readTokenFile(this.auth.tokenFile);
  }

  /** The credential for the next request. */
  async current(): Promise<Credential> {
    const a = this.auth;
    if (a.tokenFile) {
      const token = await this.readTokenFile(a.tokenFile).catch((err: unknown) => {
        // client-go keeps using what it had when a re-read fails
        const fallback = this.fileToken?.value ?? a.token;
        if (fallback === undefined) throw err;
        return fallback;
      });
      return this.bearer(token, 'token-file');
    }
    if (a.token) return this.bearer(a.token, 'token');
    if (a.username || a.password) {
      return {
        headers: { ...this.impersonation, Authorization: `Basic ${Buffer.from(`${a.username ?? ''}:${a.password ?? ''}`).toString('base64')}` },
        source: 'basic',
      };
    }
    if (a.exec && !a.hasClientCertificate) return this.execCredential(a.exec);
    if (a.oidc) return this.oidcCredential(a.oidc);
    return { headers: { ...this.impersonation }, source: 'none' };
  }

  /** See ResolvedCluster.onUnauthorized. */
  onUnauthorized(used: Credential): boolean {
    if (used.source === 'exec' && this.execCached?.credential === used) {
      this.execCached = undefined;
      return true;
    }
    if (used.source === 'token-file' && this.fileToken && used.headers.Authorization === `Bearer ${this.fileToken.value}`) {
      this.fileToken = undefined;
      return true;
    }
    return false;
  }

  private bearer(token: string, source: Credential['source']): Credential {
    return { headers: { ...this.impersonation, Authorization: `Bearer ${token}` }, source };
  }

  private async readTokenFile(file: string): Promise<string> {
    const now = this.environment.now();
    if (this.fileToken && now - this.fileToken.readAt < TOKEN_FILE_REREAD_MS) return this.fileToken.value;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new UserError(`cannot read the token file ${file} of ${this.auth.owner}: ${(err as Error).message}`);
    }
    const value = text.trim();
    if (!value) throw new UserError(`the token file ${file} of ${this.auth.owner} is empty`);
    this.fileToken = { value, readAt: now };
    return value;
  }

  private async execCredential(config: ExecPluginConfig): Promise<Credential> {
    const cached = this.execCached;
    if (cached && (cached.expiresAt === undefined || this.environment.now() <= cached.expiresAt)) return cached.credential;
    // parallel requests share one run of the plugin
    // The plugin runner (node:child_process) loads only for a kubeconfig that has one, when it is first needed.
    this.execRunning ??= import('./exec-plugin.js')
      .then(({ runExecPlugin }) => runExecPlugin(config, this.environment))
      .then((result: ExecCredentialResult) => {
        const credential: Credential = { headers: { ...this.impersonation }, source: 'exec' };
        if (result.token) credential.headers.Authorization = `Bearer ${result.token}`;
        if (result.cert && result.key) {
          credential.cert = result.cert;
          credential.key = result.key;
        }
        this.execCached = { credential, expiresAt: result.expiresAt };
        return credential;
      })
      .finally(() => {
        this.execRunning = undefined;
      });
    return this.execRunning;
  }

  private oidcCredential(oidc: NonNullable<AuthConfig['oidc']>): Credential {
    const expired = !oidc.idToken || this.environment.now() + OIDC_EXPIRY_DELTA_MS >= jwtExpiry(oidc.idToken, oidc.owner);
    if (expired) {
      throw new Forbidden(
        `the oidc id-token of ${oidc.owner} is ${oidc.idToken ? 'expired' : 'missing'}, and homelab does not refresh oidc tokens${oidc.canRefresh ? ' (kubectl does, with the refresh-token)' : ''}`,
        {
          hint: 'the oidc auth-provider is deprecated: switch this user to an exec credential plugin such as kubelogin (https://github.com/int128/kubelogin)',
        },
      );
    }
    return this.bearer(oidc.idToken as string, 'oidc');
  }
}
