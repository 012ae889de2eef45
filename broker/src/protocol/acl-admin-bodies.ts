import { optionalString, requiredString, type ExtFields } from './header-fields.ts';

/**
 * Headers and bodies of RocketMQ 5.3's ACL 2.0 admin requests (AUTH_CREATE_USER 3001 ... AUTH_LIST_ACL 3010).
 * Users travel as UserInfo, ACLs as AclInfo whose entries name one resource each.
 */
export interface UserInfo {
  username?: string | null;
  password?: string | null;
  userType?: string | null;
  userStatus?: string | null;
}

export interface PolicyEntryInfo {
  resource?: string | null;
  actions?: string[] | null;
  sourceIps?: string[] | null;
  decision?: string | null;
}

export interface AclInfo {
  subject?: string | null;
  policies?: { policyType?: string | null; entries?: PolicyEntryInfo[] | null }[] | null;
}

/** AUTH_CREATE_USER, AUTH_UPDATE_USER, AUTH_DELETE_USER, AUTH_GET_USER: the user's name. */
export function decodeUsernameHeader(ext: ExtFields): { username: string } {
  return { username: requiredString(ext, 'username') };
}

/** AUTH_LIST_USER: names containing filter (all without). */
export function decodeListUsersHeader(ext: ExtFields): { filter?: string | undefined } {
  return { filter: optionalString(ext, 'filter') };
}

/** AUTH_CREATE_ACL, AUTH_UPDATE_ACL, AUTH_GET_ACL: the subject, User:NAME. */
export function decodeSubjectHeader(ext: ExtFields): { subject: string } {
  return { subject: requiredString(ext, 'subject') };
}

/** AUTH_DELETE_ACL: without resource the subject's whole ACL goes, with it only that resource's entries. */
export function decodeDeleteAclHeader(ext: ExtFields): { subject: string; policyType?: string | undefined; resource?: string | undefined } {
  return { subject: requiredString(ext, 'subject'), policyType: optionalString(ext, 'policyType'), resource: optionalString(ext, 'resource') };
}

/** AUTH_LIST_ACL: subjects and resources containing the filters. */
export function decodeListAclsHeader(ext: ExtFields): { subjectFilter?: string | undefined; resourceFilter?: string | undefined } {
  return { subjectFilter: optionalString(ext, 'subjectFilter'), resourceFilter: optionalString(ext, 'resourceFilter') };
}
