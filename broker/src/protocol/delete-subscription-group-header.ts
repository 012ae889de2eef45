import type { HeaderInput } from '../remoting/index.ts';
import { optionalBool, requiredString, type ExtFields } from './header-fields.ts';

/** DELETE_SUBSCRIPTIONGROUP: forget a consumer group, and with cleanOffset its committed offsets too. */
export interface DeleteSubscriptionGroupHeader {
  groupName: string;
  cleanOffset: boolean;
}

export function encodeDeleteSubscriptionGroupHeader(h: DeleteSubscriptionGroupHeader): HeaderInput {
  return { groupName: h.groupName, cleanOffset: h.cleanOffset };
}

export function decodeDeleteSubscriptionGroupHeader(ext: ExtFields): DeleteSubscriptionGroupHeader {
  return { groupName: requiredString(ext, 'groupName'), cleanOffset: optionalBool(ext, 'cleanOffset') ?? false };
}
