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

export const list = (query: Record<string, string | number>) => get<Paged<Task>>('/api/tasks', query)
export const complete = (id: string, note?: string) =>
  post<Task>(`/api/tasks/${id}/complete`, note ? { note } : {})
