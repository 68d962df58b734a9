// A project's lead rules (leads service): directors and admins replace them, managers read.
import type { LeadSettings } from '@/areas/desk/settings/leadRules'
import { get, request } from './http'

const path = (projectId: string) => `/api/projects/${encodeURIComponent(projectId)}/lead-settings`

export const leadSettings = (projectId: string) => get<LeadSettings>(path(projectId))
export const saveLeadSettings = (projectId: string, body: LeadSettings) =>
  request<LeadSettings>('PUT', path(projectId), { body })
