import { get, post, type Paged } from './http'

export interface Task {
  id: string
  customer_id: string
  owner_id: string
  kind: string
  title: string
  status: string
  due_at: string
  overdue: boolean
  created_at: string
  completed_at: string | null
}

export const list = (query: Record<string, string | number | boolean>) => get<Paged<Task>>('/api/tasks', query)

// Each owner's open and overdue tasks in the caller's sight, most overdue first.
export interface OwnerLoad { owner_id: string; open: number; overdue: number; oldest_due_at: string | null }
export const behind = () => get<{ items: OwnerLoad[] }>('/api/tasks/behind')
export const complete = (id: string, note?: string) =>
  post<Task>(`/api/tasks/${id}/complete`, note ? { note } : {})
