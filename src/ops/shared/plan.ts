import type { ObservedObject } from '../../core/op.js';

/** A label selector as the API server's labelSelector parameter spells it (matchLabels and matchExpressions). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** The selector's query string (k8s.io/apimachinery's LabelSelectorAsSelector), e.g. "app=x,tier in (a,b)". */
export function selectorString(selector: LabelSelector): string {
  const labels = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  const expressions = (selector.matchExpressions ?? []).map(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In':
        return `${key} in (${values.join(',')})`;
      case 'NotIn':
        return `${key} notin (${values.join(',')})`;
      case 'Exists':
        return key;
      case 'DoesNotExist':
        return `!${key}`;
      default:
        throw new Error(`unknown label selector operator ${operator}`);
    }
  });
  return [...labels, ...expressions].join(',');
}

/** An object a plan changes, at the version it read: a confirmation is refused when it has moved on. */
export function observed(kind: string, object: { metadata: { name: string; namespace?: string; resourceVersion?: string } }): ObservedObject {
  const { name, namespace, resourceVersion } = object.metadata;
  return { object: `${kind} ${namespace ? `${namespace}/` : ''}${name}`, resourceVersion: resourceVersion ?? '' };
}

/** "a, b, c and 4 more": names in a plan's effects, bounded. */
export function someNames(names: readonly string[], shown = 5): string {
  if (names.length <= shown) return names.join(', ');
  return `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}
