import { get, patch, post, del, request, type Paged } from './http'

export interface Phone { id: string; phone: string; label: string | null; masked?: boolean }

export interface Customer {
  id: string
  project_id: string
  name: string
  phone: string
  phone_masked: boolean
  owner_id: string | null
  stage: string
  stage_label: string
  grade: string | null
  channel: string
  sub_source: string | null
  created_at: string
  updated_at: string
  version: number
  completeness: number
  missing_required: string[]
  phones: Phone[]
  portrait: Record<string, unknown>
  tags: Record<string, string[]>
  free_tags: string[]
}

export interface CustomerQuery {
  page?: number
  page_size?: number
  stage?: string
  grade?: string
  ids?: string          // comma-separated customer ids
  q?: string
  tag?: string
  project_id?: string
}

export interface Followup {
  id: string
  type: string
  content: string
  outcome: string | null
  at: string
  actor_id: string
  units: string[]
  next_contact_at: string | null
}

export interface StageChange {
  from: string
  from_label: string
  to: string
  to_label: string
  at: string
  actor_id: string
  reason: string | null
  deal_amount: number | null
  unit: string | null
}

export interface Attachment {
  id: string
  filename: string
  content_type: string
  followup_id: string | null
  at: string
  size: number
}

export interface Funnel { stages: string[]; labels: Record<string, string> }
export interface TagDimension { code: string; name: string; values: string[]; multi: boolean }
export interface Viewings {
  viewings: Array<{ at: string; units: string[] }>
  units: Array<{ unit: string; times: number; first_at: string; last_at: string }>
}

export const list = (query: CustomerQuery) => get<Paged<Customer>>('/api/customers', { ...query })
export const one = (id: string) => get<Customer>(`/api/customers/${id}`)
export const update = (id: string, changes: Record<string, unknown>) =>
  patch<Customer>(`/api/customers/${id}`, changes)
export const followups = (id: string) => get<{ items: Followup[] }>(`/api/customers/${id}/followups`)
export const logFollowup = (id: string, followup: Record<string, unknown>) =>
  post<Followup>(`/api/customers/${id}/followups`, followup)
export const stages = (id: string) => get<{ items: StageChange[] }>(`/api/customers/${id}/stages`)
export const moveStage = (id: string, move: Record<string, unknown>) =>
  post<Customer>(`/api/customers/${id}/stage`, move)
export const revealPhone = (id: string, reason: string) =>
  post<{ phone: string; phones?: Phone[] }>(`/api/customers/${id}/reveal-phone`, { reason })
export const attachments = (id: string) =>
  get<{ items: Attachment[] }>(`/api/customers/${id}/attachments`)
export const viewings = (id: string) => get<Viewings>(`/api/customers/${id}/viewings`)
export const funnel = (projectId: string) => get<Funnel>(`/api/projects/${projectId}/funnel`)
export const tagDimensions = () => get<{ items: TagDimension[] }>('/api/tag-dimensions')
export const addPhone = (id: string, phone: string, label: string) =>
  post<Customer>(`/api/customers/${id}/phones`, { phone, label })
export const removePhone = (id: string, phoneId: string) =>
  del<Customer>(`/api/customers/${id}/phones/${phoneId}`)

export function attach(id: string, file: Blob, filename: string, followupId?: string) {
  const form = new FormData()
  form.append('file', file, filename)
  if (followupId) form.append('followup_id', followupId)
  return request<Attachment>('POST', `/api/customers/${id}/attachments`, { form })
}

export const attachmentUrl = (attachmentId: string) => `/api/attachments/${attachmentId}`
