// Which roles open which areas of the app (the API decides again on every request).
export const STAFF = ['consultant', 'manager', 'director', 'admin']
// Who works at the desk (团队客户, 离职交接 …) and who administers the company's structure.
export const DESK = ['manager', 'director', 'admin']
export const ADMINISTRATORS = ['director', 'admin']

// A route's own rule, on top of its area's: `roles` it is for, or `may` for a rule that is
// not a role (the privacy scope). Every level of a route must let the user in.
export interface Access { roles?: unknown; may?: unknown }
export interface Someone { role: string; scopes?: string[] }

export function mayOpen(meta: Access, user: Someone): boolean {
  if (Array.isArray(meta.roles) && !meta.roles.includes(user.role)) return false
  if (typeof meta.may === 'function' && !meta.may(user)) return false
  return true
}

export const ADMIN_ONLY = ['admin']
export const mayAudit = (user: Someone): boolean =>
  user.role === 'admin' || (user.scopes ?? []).includes('privacy')
