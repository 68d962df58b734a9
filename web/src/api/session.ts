import { request, setCsrfToken } from './http'

export interface User {
  id: string
  name: string
  username: string
  role: string
  company_id: string
  team_id: string | null
  project_ids: string[]
  on_duty: boolean
  active: boolean
  scopes: string[]
}

export interface SessionAnswer {
  user: User
  csrf_token: string
  expires_at?: string
  must_change_password?: boolean
}

export async function signIn(username: string, password: string): Promise<SessionAnswer> {
  const answer = await request<SessionAnswer>('POST', '/api/web/session', {
    body: { username, password }, quiet401: true,
  })
  setCsrfToken(answer.csrf_token)
  return answer
}

export async function current(): Promise<SessionAnswer> {
  const answer = await request<SessionAnswer>('GET', '/api/web/session', { quiet401: true })
  setCsrfToken(answer.csrf_token)
  return answer
}

export async function signOut(): Promise<void> {
  await request<void>('DELETE', '/api/web/session', { quiet401: true })
  setCsrfToken('')
}
