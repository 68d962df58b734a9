// The company's people as the directory administers them (/api/users).
import { get, patch, post, type Paged } from './http'

export interface DirectoryUser {
  id: string
  username: string
  name: string
  role: string
  team_id: string | null
  project_ids: string[]
  effective_project_ids: string[]
  scopes: string[]
  effective_scopes: string[]
  active: boolean
  on_duty: boolean
  must_change_password: boolean
  password_changed_at: string | null
  created_at: string
  revision: number
}

export interface UserQuery {
  role?: string
  team_id?: string
  project_id?: string
  active?: boolean
  q?: string
  page?: number
  page_size?: number
}

export interface NewUser {
  username: string
  name: string
  role: string
  password: string
  team_id: string | null
  project_ids: string[]
  scopes: string[]
}

export type UserChanges = Partial<Omit<NewUser, 'password'> & { active: boolean }>

export const list = (query: UserQuery) => get<Paged<DirectoryUser>>('/api/users', { ...query })
export const one = (id: string) => get<DirectoryUser>(`/api/users/${id}`)
export const create = (user: NewUser, idempotencyKey: string) =>
  post<DirectoryUser>('/api/users', user, { 'Idempotency-Key': idempotencyKey })
export const update = (id: string, changes: UserChanges) => patch<DirectoryUser>(`/api/users/${id}`, changes)
export const resetPassword = (id: string, password: string) =>
  post<{ user_id: string; must_change_password: boolean }>(`/api/users/${id}/password`, { password })

// Everyone of a kind in sight, for pickers and for names in tables (at most 200 a page,
// a few pages for a big company).
export async function everyone(query: UserQuery = {}): Promise<DirectoryUser[]> {
  const found: DirectoryUser[] = []
  for (let page = 1; ; page++) {
    const answer = await list({ ...query, page, page_size: 200 })
    found.push(...answer.items)
    if (page * 200 >= answer.total || page >= 10) return found
  }
}
