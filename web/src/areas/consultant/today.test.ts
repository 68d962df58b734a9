import { describe, expect, it } from 'vitest'
import { appLink, todaysTasks, warnings } from './today'
import type { Task } from '@/api/tasks'

const task = (id: string, due: string, extra: Partial<Task> = {}): Task => ({ id, customer_id: 'c', owner_id: 'u',
  kind: 'k', title: id, status: 'open', due_at: due, overdue: false, created_at: due, completed_at: null, ...extra })

describe('今日', () => {
  // 2026-12-02 10:00 in Shanghai
  const now = new Date('2026-12-02T02:00:00Z')
  it('sorts overdue and due-today tasks (Shanghai days), counting the later ones', () => {
    const sorted = todaysTasks([
      task('tomorrow', '2026-12-02T16:30:00Z'),           // 00:30 on the 3rd in Shanghai
      task('tonight', '2026-12-02T15:30:00Z'),            // 23:30 on the 2nd
      task('late', '2026-12-02T01:00:00Z'),
      task('flagged', '2026-12-02T03:00:00Z', { overdue: true }),
      task('done', '2026-12-02T03:00:00Z', { status: 'done' }),
    ], now)
    expect(sorted.overdue.map((t) => t.id)).toEqual(['late', 'flagged'])
    expect(sorted.dueToday.map((t) => t.id)).toEqual(['tonight'])
    expect(sorted.later).toBe(1)
  })
  it('shows a task due soon after midnight with today\'s (a late lead\'s first call)', () => {
    const lateEvening = new Date('2026-12-02T15:55:00Z')   // 23:55 in Shanghai
    const sorted = todaysTasks([
      task('first call', '2026-12-02T16:10:00Z'),          // 00:10 on the 3rd
      task('tomorrow', '2026-12-03T01:00:00Z'),            // 09:00 on the 3rd
    ], lateEvening)
    expect(sorted.dueToday.map((t) => t.id)).toEqual(['first call'])
    expect(sorted.later).toBe(1)
  })
  it('shows unread warnings only', () => {
    const n = (kind: string, read = false) => ({ id: kind, kind, title: '', body: '', link: null, created_at: '', read })
    expect(warnings([n('no_followup_warning'), n('recycle_warning', true), n('task_overdue')]).map((x) => x.id))
      .toEqual(['no_followup_warning'])
  })
  it('follows only links into the app', () => {
    expect(appLink('/customers/abc')).toBe('/customers/abc')
    expect(appLink('https://crm.example.com/customers/abc')).toBe('/customers/abc')
    expect(appLink('https://evil.example.com/phish')).toBeNull()
    expect(appLink('//evil.example.com/customers')).toBeNull()
    expect(appLink(null)).toBeNull()
  })
})
