import { get, post } from './http'

export interface Registration {
  id: string
  project_id: string
  customer_name: string
  phone: string
  status: string
  agency: string | null
  registered_at: string
  visit_protect_until: string | null
  deal_protect_until?: string | null
  protected_until?: string | null
  [key: string]: unknown
}

export const register = (registration: Record<string, unknown>) =>
  post<Registration>('/api/registrations', registration)
export const mine = () => get<{ items: Registration[] }>('/api/registrations')
