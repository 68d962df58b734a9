import { get, post, type Paged } from './http'

export interface NewLead {
  name: string
  phone: string
  project_id: string
  channel: string
  note?: string
}

export interface LeadAccepted {
  status: 'created' | 'duplicate'
  customer_id: string
  owner_id: string | null
  lead_id: string
  grade?: string
}

export interface PhoneCheck {
  known: boolean
  mine: boolean
  owner_name: string | null
  in_pool: boolean
  customer_id: string | null
  checks_left: number
}

export interface Arrival {
  lead_id: string
  channel: string
  sub_source: string | null
  status: string
  created_at: string
  assignment_reason: string | null
  agent_id: string | null
}

export interface Ruling {
  id?: string
  decided_at?: string
  at?: string
  created_at?: string
  outcome?: string
  reason?: string
  winner?: string
  [key: string]: unknown
}

export const createLead = (lead: NewLead, key: string) =>
  post<LeadAccepted>('/api/leads', lead, { 'Idempotency-Key': key })
export const checkPhone = (phone: string, projectId: string) =>
  post<PhoneCheck>('/api/leads/phone-check', { phone, project_id: projectId })
export const arrivals = (customerId: string) =>
  get<{ items: Arrival[] }>(`/api/customers/${customerId}/arrivals`)
export const rulings = (customerId: string) =>
  get<{ items: Ruling[] }>(`/api/customers/${customerId}/rulings`)
export type { Paged }
