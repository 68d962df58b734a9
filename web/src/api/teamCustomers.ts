// The customers of a manager's team (or a director's projects) as the desk lists them:
// the same GET /api/customers with the desk's filters, and the completeness ranking.
import { get, type Paged } from './http'
import type { Customer } from './customers'

export interface TeamCustomerQuery {
  page?: number
  page_size?: number
  stage?: string
  project_id?: string
  owner_id?: string
  q?: string
  tag?: string
  completeness_below?: number
  grade?: string
  silent_days?: number
}

export const list = (query: TeamCustomerQuery) => get<Paged<Customer>>('/api/customers', { ...query })

export interface CompletenessLine {
  rank: number
  owner_id: string
  owner_name: string
  customers: number
  average_completeness: number
  weak_profiles: number
}

// 客户信息完善率: consultants in the caller's scope by their customers' average, best first.
export const completenessRanking = (projectId?: string) =>
  get<{ weak_below: number; items: CompletenessLine[] }>('/api/customers/completeness', { project_id: projectId || undefined })
