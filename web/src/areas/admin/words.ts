// Roles and scopes in the words an office uses (the API's codes stay in code).
import { ROLE_NAMES } from '@/lib/session'

export const SCOPE_NAMES: Record<string, string> = {
  'pii:reveal': '查看完整手机号（留痕）',
  export: '导出客户（留痕）',
  privacy: '处理个人信息请求',
  'directory:write': '管理组织架构',
}

// Scopes an admin may grant beyond a role's own (contracts/directory_admin.py Scope).
export const GRANTABLE_SCOPES = ['pii:reveal', 'export', 'privacy']

// Roles a person may be given here: an admin any of the company's working roles, a
// director only those below them (admin_rules.ADMIN_ONLY_ROLES are an admin's to give).
const ALL_ROLES = ['consultant', 'manager', 'director', 'admin', 'service_agent', 'channel_agent']
const ADMIN_ONLY = ['admin', 'director', 'integration']

export function roleWord(role: string): string {
  return ROLE_NAMES[role] ?? role
}

export function scopeWord(scope: string): string {
  return SCOPE_NAMES[scope] ?? scope
}

export function rolesGivenBy(actorRole: string): string[] {
  if (actorRole === 'admin') return ALL_ROLES
  if (actorRole === 'director') return ALL_ROLES.filter((r) => !ADMIN_ONLY.includes(r))
  return []
}

// What a person may do, in one line: "销售经理 · 导出客户（留痕）".
export function accessWords(role: string, scopes: string[]): string {
  return [roleWord(role), ...scopes.map(scopeWord)].join(' · ')
}
