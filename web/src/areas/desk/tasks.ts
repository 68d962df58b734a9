// Who is behind: overdue open tasks per owner, most first.
import type { Task } from '@/api/tasks'

export function behind(tasks: Pick<Task, 'owner_id' | 'overdue'>[]): Array<{ owner_id: string; overdue: number }> {
  const counts = new Map<string, number>()
  for (const t of tasks) if (t.overdue) counts.set(t.owner_id, (counts.get(t.owner_id) ?? 0) + 1)
  return [...counts].map(([owner_id, overdue]) => ({ owner_id, overdue }))
    .sort((a, b) => b.overdue - a.overdue || a.owner_id.localeCompare(b.owner_id))
}
