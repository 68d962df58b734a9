import { get, post } from './http'

export interface Slot {
  user_id: string
  name: string | null
  position: number
  paused: boolean
  on_duty: boolean
  last_served_at: string | null
}

export interface Line {
  project_id: string
  items: Slot[]
}

const base = (projectId: string) => `/api/projects/${projectId}/reception`
export const line = (projectId: string) => get<Line>(base(projectId))
// Yourself when no user is named; a manager names a member of their team.
export const join = (projectId: string, userId?: string) =>
  post<Line>(`${base(projectId)}/join`, userId ? { user_id: userId } : undefined)
export const leave = (projectId: string, userId?: string) =>
  post<Line>(`${base(projectId)}/leave`, userId ? { user_id: userId } : undefined)
export const next = (projectId: string) => post<{ user_id: string; queue: Slot[] }>(`${base(projectId)}/next`)
export const skip = (projectId: string, userId: string) =>
  post<Line>(`${base(projectId)}/skip`, { user_id: userId })
export const pause = (projectId: string, userId: string, paused: boolean) =>
  post<Line>(`${base(projectId)}/pause`, { user_id: userId, paused })
