import { describe, expect, it } from 'vitest';
import { connectionFields } from '../../src/adapters/postgres.js';

describe('services.postgres.url as libpq reads it', () => {
  const ca = Buffer.from('-----BEGIN CERTIFICATE-----\n');

  it('takes host, port, user and database from the URL; the database defaults to the user', () => {
    expect(connectionFields('postgres://homelab_ro@db.lan:6543/authentik', undefined)).toEqual({
      host: 'db.lan',
      port: 6543,
      user: 'homelab_ro',
      database: 'authentik',
      ssl: false,
    });
    expect(connectionFields('postgres://app%40x@[::1]/', undefined)).toEqual({ host: '::1', port: 5432, user: 'app@x', database: 'app@x', ssl: false });
  });

  it('maps sslmode: disable/prefer plain, require without checking, verify-ca the chain, verify-full the name too; a caFile alone means verify-full', () => {
    expect(connectionFields('postgres://u@h/d?sslmode=prefer', undefined).ssl).toBe(false);
    expect(connectionFields('postgres://u@h/d?sslmode=require', undefined).ssl).toEqual({ rejectUnauthorized: false });
    const verifyCa = connectionFields('postgres://u@h/d?sslmode=verify-ca', ca).ssl as {
      rejectUnauthorized: boolean;
      ca: Buffer;
      checkServerIdentity?: () => undefined;
    };
    expect(verifyCa).toMatchObject({ rejectUnauthorized: true, ca });
    expect(verifyCa.checkServerIdentity?.()).toBeUndefined();
    expect(connectionFields('postgres://u@h/d?sslmode=verify-full', ca).ssl).toEqual({ rejectUnauthorized: true, ca });
    expect(connectionFields('postgres://u@h/d', ca).ssl).toEqual({ rejectUnauthorized: true, ca });
  });
});
