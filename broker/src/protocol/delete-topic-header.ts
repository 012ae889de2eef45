import type { HeaderInput } from '../remoting/index.ts';
import { optionalString, requiredString, type ExtFields } from './header-fields.ts';

/** DELETE_TOPIC_IN_BROKER and DELETE_TOPIC_IN_NAMESRV; only the name server reads clusterName (delete there only). */
export interface DeleteTopicHeader {
  topic: string;
  clusterName?: string | undefined;
}

export function encodeDeleteTopicHeader(h: DeleteTopicHeader): HeaderInput {
  return { topic: h.topic, clusterName: h.clusterName };
}

export function decodeDeleteTopicHeader(ext: ExtFields): DeleteTopicHeader {
  return { topic: requiredString(ext, 'topic'), clusterName: optionalString(ext, 'clusterName') };
}
