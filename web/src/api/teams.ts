// Sales teams (/api/teams): a project, a manager, their members.
import { get, patch, post, type Paged } from './http'

export interface Team {
  id: string
  name: string
  project_id: string | null
  manager_id: string | null
  active: boolean
  members: number
  revision: number
}

export interface TeamQuery { project_id?: string; active?: boolean; q?: string; page?: number; page_size?: number }
export interface NewTeam { name: string; project_id: string; manager_id: string | null }
export type TeamChanges = Partial<NewTeam & { active: boolean }>

export const list = (query: TeamQuery) => get<Paged<Team>>('/api/teams', { ...query })
export const one = (id: string) => get<Team>(`/api/teams/${id}`)
export const create = (team: NewTeam, idempotencyKey: string) =>
  post<Team>('/api/teams', team, { 'Idempotency-Key': idempotencyKey })
export const update = (id: string, changes: TeamChanges) => patch<Team>(`/api/teams/${id}`, changes)
