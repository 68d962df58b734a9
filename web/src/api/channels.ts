// Lead channels (/api/channels, admin): platforms that post signed leads to our webhook.
// A channel's secret comes only in the answer that made or rotated it.
import { get, post } from './http'

export interface ChannelMapping {
  fields?: Record<string, string>
  constants?: Record<string, unknown>
  values?: Record<string, Record<string, unknown>>
  external_id?: string | null
  project?: string | null
  projects?: Record<string, string>
}

export interface LeadChannel {
  key_id: string
  code: string
  name: string
  active: boolean
  default_project_id: string | null
  mapping: ChannelMapping
  created_at: string
  secret?: string // only when just created or rotated
}

export interface ChannelSpec {
  code: string
  name?: string
  default_project_id?: string | null
  mapping?: ChannelMapping
  active?: boolean
}

export const list = () => get<{ items: LeadChannel[] }>('/api/channels')
export const configure = (spec: ChannelSpec) => post<LeadChannel>('/api/channels', spec)
export const rotateSecret = (code: string) => post<LeadChannel>(`/api/channels/${code}/rotate-secret`)
