import { get, post, type Paged } from './http'

export interface PoolCustomer {
  customer_id: string
  id?: string
  name: string
  phone: string
  project_id: string
  grade?: string | null
  released_at?: string | null
  channel?: string
  [key: string]: unknown
}

export interface PoolPage extends Paged<PoolCustomer> {
  claims_left?: number
  claims_today?: number
  daily_claim_cap?: number
  [key: string]: unknown
}

export interface Offer {
  id: string
  customer_id: string
  project_id: string
  name: string
  phone: string
  grade: string | null
  offered_at: string
  expires_at: string
}

export const pool = (query: Record<string, string | number>) => get<PoolPage>('/api/pool', query)
export const claim = (customerId: string) => post<Record<string, unknown>>(`/api/pool/${customerId}/claim`)
export const offers = () => get<{ items: Offer[] }>('/api/offers')
export const grab = (offerId: string) => post<Record<string, unknown>>(`/api/offers/${offerId}/grab`)
export const assign = (customerId: string, ownerId: string) =>
  post<PoolCustomer>(`/api/pool/${customerId}/assign`, { owner_id: ownerId })
