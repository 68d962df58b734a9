// A project's SOP template (tasks service): directors and admins replace it, managers read it.
import type { SopTemplate } from '@/areas/desk/settings/sopForm'
import { get, request } from './http'

export const projectSop = (projectId: string) =>
  get<SopTemplate>(`/api/projects/${encodeURIComponent(projectId)}/sop`)

export const saveProjectSop = (projectId: string, template: SopTemplate) =>
  request<SopTemplate>('PUT', `/api/projects/${encodeURIComponent(projectId)}/sop`, { body: template })
