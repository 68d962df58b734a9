// Privacy (PIPL): data-subject requests, consent records, and the audit of who revealed or
// exported whose data (admin or the privacy scope).
import { get, post, type Paged } from './http'

export interface Person {
  id: string
  name: string | null // masked
}

export interface AuditEntry {
  id: string
  action: string
  actor: { id: string; name: string | null }
  customer: Person | null
  reason: string | null
  request_id: string | null
  export_id: string | null
  at: string
}

export interface AuditQuery {
  action?: string
  actor_id?: string
  customer_id?: string
  from_date?: string
  to_date?: string
  page?: number
  page_size?: number
}

export interface PastRequest {
  request_id: string
  kind: 'export' | 'erase'
  actor: { id: string; name: string | null }
  reason: string | null
  customers: Person[]
  records: number
  at: string
}

export interface SubjectRequest {
  kind: 'export' | 'erase'
  reason: string
  phone?: string
  customer_id?: string
}

export interface ServicePart {
  service?: string
  holds_personal_data: boolean
  records?: unknown
}

export interface SubjectAnswer {
  request_id: string
  kind: 'export' | 'erase'
  subject: { phone: string | null; customer_ids: string[] }
  // export
  generated_at?: string
  services?: Record<string, ServicePart>
  // erase
  erased_now?: string[]
  already_erased?: string[]
  notified?: string[]
  kept?: string[]
}

export interface Consent {
  id: string
  customer_id: string
  purpose: string
  granted: boolean
  channel: string
  evidence: string | null
  recorded_by: string | null
  at: string
}

export const audit = (query: AuditQuery) => get<Paged<AuditEntry>>('/api/privacy/audit', { ...query })
export const pastRequests = (query: { kind?: string; page?: number; page_size?: number }) =>
  get<Paged<PastRequest>>('/api/privacy/requests', { ...query })
export const subjectRequest = (request: SubjectRequest) => post<SubjectAnswer>('/api/privacy/requests', request)
export const consents = (customerId: string) =>
  get<{ customer_id: string; marketing_opt_out: boolean; items: Consent[] }>(`/api/customers/${customerId}/consents`)
