// Projects as the directory administers them (/api/projects); the projects you work in,
// for pickers, are projects.ts (myProjects).
import { get, patch, post, type Paged } from './http'

export interface DirectoryProject {
  id: string
  name: string
  city: string
  districts: string[]
  active: boolean
  revision: number
}

export interface ProjectQuery { city?: string; active?: boolean; q?: string; page?: number; page_size?: number }
export interface NewProject { name: string; city: string; districts: string[] }
export type ProjectChanges = Partial<NewProject & { active: boolean }>

export const list = (query: ProjectQuery) => get<Paged<DirectoryProject>>('/api/projects', { ...query })
export const one = (id: string) => get<DirectoryProject>(`/api/projects/${encodeURIComponent(id)}`)
export const create = (project: NewProject, idempotencyKey: string) =>
  post<DirectoryProject>('/api/projects', project, { 'Idempotency-Key': idempotencyKey })
export const update = (id: string, changes: ProjectChanges) =>
  patch<DirectoryProject>(`/api/projects/${id}`, changes)
