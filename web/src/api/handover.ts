// Handing customers over: a departure (离职交接, /api/users/<id>/offboard) and a bulk
// reassignment (批量转移, /api/customers/reassign). Both answer the same status.
import { get, post } from './http'

export type HandoverMode = 'colleague' | 'round_robin' | 'pool'

export interface HandoverRule { mode: HandoverMode; to_user_id?: string | null }
export interface HandoverPlan extends HandoverRule { projects?: Record<string, HandoverRule> }

export interface ProjectProgress {
  project_id: string | null
  mode: HandoverMode
  moved: number
  total: number
  skipped: number
  to_pool: number
  replanned: number
  owners: Record<string, number>
}

export interface HandoverStatus {
  id: string
  kind: 'departure' | 'reassign'
  user_id: string | null
  plan: HandoverPlan
  requested_by: string
  requested_at: string
  moved: number
  total: number | null
  skipped: number
  done: boolean
  projects: ProjectProgress[]
  progress_at: string | null
  finished_at: string | null
}

export interface ReassignRequest extends HandoverPlan {
  customer_ids?: string[]
  filter?: { owner_id?: string; project_id?: string }
  reason?: string
}

export const offboard = (userId: string, plan: HandoverPlan) =>
  post<HandoverStatus>(`/api/users/${userId}/offboard`, plan)
export const departure = (userId: string) => get<HandoverStatus>(`/api/users/${userId}/offboard`)
export const reassign = (request: ReassignRequest, idempotencyKey: string) =>
  post<HandoverStatus>('/api/customers/reassign', request, { 'Idempotency-Key': idempotencyKey })
export const reassignment = (id: string) => get<HandoverStatus>(`/api/reassignments/${id}`)
