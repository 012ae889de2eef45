import type { HeaderInput } from '../remoting/index.ts';
import { requiredString, type ExtFields } from './header-fields.ts';

/**
 * The name server's KV config requests share one header: GET_KVLIST_BY_NAMESPACE needs the namespace,
 * GET_KV_CONFIG and DELETE_KV_CONFIG also the key, PUT_KV_CONFIG also the value.
 */
export interface KvConfigHeader {
  namespace: string;
  key?: string | undefined;
  value?: string | undefined;
}

export function encodeKvConfigHeader(h: KvConfigHeader): HeaderInput {
  return { namespace: h.namespace, key: h.key, value: h.value };
}

export function decodeKvNamespaceHeader(ext: ExtFields): { namespace: string } {
  return { namespace: requiredString(ext, 'namespace') };
}

export function decodeKvKeyHeader(ext: ExtFields): { namespace: string; key: string } {
  return { namespace: requiredString(ext, 'namespace'), key: requiredString(ext, 'key') };
}

export function decodeKvPutHeader(ext: ExtFields): Required<KvConfigHeader> {
  return { namespace: requiredString(ext, 'namespace'), key: requiredString(ext, 'key'), value: requiredString(ext, 'value') };
}
