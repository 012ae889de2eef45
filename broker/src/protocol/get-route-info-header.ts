import type { HeaderInput } from '../remoting/index.ts';
import { requiredString, type ExtFields } from './header-fields.ts';

/** GET_ROUTEINFO_BY_TOPIC (client -> name server). */
export interface GetRouteInfoHeader {
  topic: string;
  /** Tern's name server always answers standard JSON; its client says so, as RocketMQ 5 clients may. */
  acceptStandardJsonOnly?: boolean | undefined;
}

export function encodeGetRouteInfoHeader(h: GetRouteInfoHeader): HeaderInput {
  return { topic: h.topic, acceptStandardJsonOnly: h.acceptStandardJsonOnly };
}

/** acceptStandardJsonOnly is not read: the answer is standard JSON either way. */
export function decodeGetRouteInfoHeader(ext: ExtFields): GetRouteInfoHeader {
  return { topic: requiredString(ext, 'topic') };
}
