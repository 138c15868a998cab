import { z } from 'zod';
import { conditionSchema } from './k8s.js';

export type Condition = z.infer<typeof conditionSchema>;

/** A condition's status as answers report it: Unknown also when the condition is missing. */
export const conditionStatusSchema = z.enum(['True', 'False', 'Unknown']);
export type ConditionStatus = z.infer<typeof conditionStatusSchema>;

const conditionsHolder = z.looseObject({ status: z.looseObject({ conditions: z.array(conditionSchema).optional() }).optional() });

/** The conditions of any object that follows the Kubernetes status convention; [] when it has none. */
export function conditionsOf(obj: unknown): Condition[] {
  const parsed = conditionsHolder.safeParse(obj);
  return parsed.success ? (parsed.data.status?.conditions ?? []) : [];
}

export function findCondition(obj: unknown, type: string): Condition | undefined {
  return conditionsOf(obj).find((c) => c.type === type);
}

/** A condition's status, with a missing condition read as Unknown (the controller has not said yet). */
export function conditionStatus(obj: unknown, type: string): ConditionStatus {
  const status = findCondition(obj, type)?.status;
  return status === 'True' || status === 'False' ? status : 'Unknown';
}

/** A condition as status tables show it: its status (Unknown when missing), reason, message and since when. */
export function conditionState(obj: unknown, type: string): { status: ConditionStatus; reason?: string; message?: string; since?: string } {
  const c = findCondition(obj, type);
  return { status: conditionStatus(obj, type), reason: c?.reason, message: c?.message, since: c?.lastTransitionTime };
}
