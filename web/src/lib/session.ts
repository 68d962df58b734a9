// Who is signed in, for every page. The session itself is an httpOnly cookie: scripts
// never see the token, only the user and the CSRF token the gateway answers.
import { reactive } from 'vue'
import * as api from '@/api/session'
import * as me from '@/api/me'
import type { User } from '@/api/session'
import { DESK, STAFF } from './roles'

export { ADMINISTRATORS, DESK, STAFF } from './roles'

export const session = reactive({
  user: null as User | null,
  checked: false,
  mustChangePassword: false,
})

export async function restore(): Promise<User | null> {
  if (session.checked) return session.user
  try {
    const answer = await api.current()
    session.user = answer.user
    session.mustChangePassword = Boolean(answer.must_change_password)
  } catch {
    session.user = null
  }
  session.checked = true
  return session.user
}

export async function signIn(username: string, password: string): Promise<User> {
  const answer = await api.signIn(username, password)
  session.user = answer.user
  session.mustChangePassword = Boolean(answer.must_change_password)
  session.checked = true
  return answer.user
}

// Where a user whose password must change first is kept until it is changed.
export function passwordPageOf(user: User): string {
  return user.role === 'channel_agent' ? '/agent/me' : '/me'
}

export async function changePassword(oldPassword: string, newPassword: string): Promise<void> {
  session.user = (await me.changePassword(oldPassword, newPassword)).user
  session.mustChangePassword = false
}

export async function signOut(): Promise<void> {
  try {
    await api.signOut()
  } finally {
    forget()
  }
}

export function forget(): void {
  session.user = null
  session.checked = true
}

export function homeOf(user: User | null): string {
  if (!user) return '/login'
  if (user.role === 'channel_agent') return '/agent'
  if (user.role === 'admin') return '/admin/users'
  if (DESK.includes(user.role)) return '/desk/customers'
  if (STAFF.includes(user.role)) return '/today'
  return '/unavailable'
}

export const ROLE_NAMES: Record<string, string> = {
  consultant: '置业顾问', manager: '销售经理', director: '营销总监', admin: '系统管理员',
  channel_agent: '渠道经纪人', service_agent: '客服', homeowner: '业主', integration: '系统集成',
}
