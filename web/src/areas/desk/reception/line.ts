// The walk-in line as the desk sees it: who is next, whom the caller may move, and who
// may still join. Pure, unit-tested; the API decides again on every change.
import type { Slot } from '@/api/reception'
import type { DirectoryUser } from '@/api/users'

export interface Viewer { id: string; role: string; team_id: string | null }

// The one the next visitor goes to: the first in line who is on duty and not paused
// (the leads service applies the same rule when 来客了 is pressed).
export function nextUp(line: Slot[]): Slot | null {
  return line.find((s) => !s.paused && s.on_duty) ?? null
}

// A director or an admin moves anyone in the line; a manager their own team (and self).
export function mayManage(viewer: Viewer, userId: string, people: DirectoryUser[]): boolean {
  if (viewer.role === 'admin' || viewer.role === 'director' || viewer.id === userId) return true
  if (viewer.role !== 'manager' || !viewer.team_id) return false
  return people.some((p) => p.id === userId && p.team_id === viewer.team_id)
}

// Active consultants of the project, not yet in line, whom the caller may add.
export function joinable(project: string, line: Slot[], people: DirectoryUser[], viewer: Viewer): DirectoryUser[] {
  const inLine = new Set(line.map((s) => s.user_id))
  return people.filter((p) => p.active && p.role === 'consultant' && !inLine.has(p.id)
    && (p.effective_project_ids ?? p.project_ids).includes(project) && mayManage(viewer, p.id, people))
    .sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'))
}

export function stateWord(slot: Slot): { text: string; tone: 'good' | 'warn' | 'muted' } {
  if (slot.paused) return { text: '暂停', tone: 'warn' }
  if (!slot.on_duty) return { text: '未值班', tone: 'muted' }
  return { text: '在岗', tone: 'good' }
}
