import { describe, expect, it } from 'vitest';
import { formatAge, namespacedNameSchema, objectNameSchema, parseDuration } from '../../src/core/schemas.js';
import { parseQuantity } from '../../src/ops/shared/quantity.js';
import { rfc3339Local } from '../../src/ops/cluster/deployment-restart.js';

describe('shared schemas', () => {
  it('accepts Kubernetes names and refuses paths and shell text', () => {
    expect(objectNameSchema.safeParse('immich-server').success).toBe(true);
    for (const bad of ['../etc', 'a/b', 'Name', 'x;rm -rf', '', 'a'.repeat(254)]) expect(objectNameSchema.safeParse(bad).success).toBe(false);
    expect(namespacedNameSchema.safeParse('pihole/unbound').success).toBe(true);
    for (const bad of ['pihole', 'pihole/', '/x', 'a/b/c', 'Pi/x']) expect(namespacedNameSchema.safeParse(bad).success).toBe(false);
  });

  it('reads durations as kubectl does', () => {
    expect(parseDuration('10m')).toBe(600);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('2d')).toBe(172800);
    expect(parseDuration('10')).toBeUndefined();
    expect(parseDuration('10m junk')).toBeUndefined();
  });

  it('parses quantities from metrics-server and node status', () => {
    expect(parseQuantity('183425162n')).toBeCloseTo(0.183425162);
    expect(parseQuantity('250m')).toBe(0.25);
    expect(parseQuantity('4')).toBe(4);
    expect(parseQuantity('2147312Ki')).toBe(2147312 * 1024);
    expect(parseQuantity('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(parseQuantity('lots')).toBeUndefined();
  });

  it('formats ages and kubectl-style timestamps', () => {
    expect(formatAge(59)).toBe('59s');
    expect(formatAge(3 * 60)).toBe('3m');
    expect(formatAge(16 * 86400)).toBe('16d');
    expect(rfc3339Local(new Date('2026-01-02T03:04:05Z'))).toMatch(/^2026-01-0[12]T\d\d:\d\d:05(Z|[+-]\d\d:\d\d)$/);
  });
});
