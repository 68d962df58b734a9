// 今日's sorting of tasks and notices: pure, unit-tested.
import type { Task } from '@/api/tasks'
import type { Notice } from '@/api/notifications'
import { dayKey } from '@/lib/time'

export const WARNING_KINDS = ['no_followup_warning', 'recycle_warning', 'recycled']

// A task due within this long shows on 今日 even when it falls after midnight: at 23:55 a
// new lead's 15-minute first call is today's work, not "later".
export const SOON_MS = 2 * 3_600_000

export function todaysTasks(tasks: Task[], now: Date = new Date()) {
  const today = dayKey(now)
  const open = tasks.filter((t) => t.status === 'open')
  const overdue = open.filter((t) => t.overdue || Date.parse(t.due_at) < now.getTime())
  const dueToday = open.filter((t) => !overdue.includes(t)
    && (dayKey(new Date(t.due_at)) === today || Date.parse(t.due_at) - now.getTime() <= SOON_MS))
  const later = open.length - overdue.length - dueToday.length
  const byDue = (a: Task, b: Task) => Date.parse(a.due_at) - Date.parse(b.due_at)
  return { overdue: overdue.sort(byDue), dueToday: dueToday.sort(byDue), later }
}

export function warnings(notices: Notice[]): Notice[] {
  return notices.filter((n) => !n.read && WARNING_KINDS.includes(n.kind))
}

// Where a notice's link leads inside the app (only our own paths).
export function appLink(link: string | null): string | null {
  if (!link) return null
  const path = link.replace(/^https?:\/\/[^/]+/, '')
  return /^\/(customers|tasks|pool|grab|messages)\b/.test(path) && !path.startsWith('//') ? path : null
}
