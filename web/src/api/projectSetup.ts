// A project's customer setup (customers service): its funnel and stage names, and the profile
// fields it requires or counts. Directors and admins replace them; managers read.
import type { FieldsAnswer, FunnelAnswer } from '@/areas/desk/settings/funnelForm'
import { get, request } from './http'

const base = (projectId: string) => `/api/projects/${encodeURIComponent(projectId)}`

export const funnel = (projectId: string) => get<FunnelAnswer>(`${base(projectId)}/funnel`)
export const saveFunnel = (projectId: string, body: { stages: string[]; labels: Record<string, string> }) =>
  request<FunnelAnswer>('PUT', `${base(projectId)}/funnel`, { body })

export const profileFields = (projectId: string) => get<FieldsAnswer>(`${base(projectId)}/profile-fields`)
export const saveProfileFields = (projectId: string, body: FieldsAnswer) =>
  request<FieldsAnswer>('PUT', `${base(projectId)}/profile-fields`, { body })
