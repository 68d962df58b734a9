import { post, setCsrfToken } from './http'
import type { SessionAnswer, User } from './session'

export const setDuty = (userId: string, onDuty: boolean) =>
  post<User>(`/api/users/${userId}/duty`, { on_duty: onDuty })

// A changed password is a new login: the gateway puts its token in the session cookie and
// answers the user and the CSRF token that goes with it.
export async function changePassword(oldPassword: string, newPassword: string): Promise<SessionAnswer> {
  const answer = await post<SessionAnswer>('/api/me/password', { old_password: oldPassword, new_password: newPassword })
  setCsrfToken(answer.csrf_token)
  return answer
}
