// One way to the gateway: same-origin JSON with the session cookie, the CSRF header on
// writes, and every refusal as an ApiError carrying the API's code, message and field.

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public field: string | null = null,
    public details: Record<string, unknown> | null = null,
  ) {
    super(message)
  }
}

let csrfToken = ''
const signedOutListeners: Array<() => void> = []

export function setCsrfToken(token: string): void {
  csrfToken = token
}

export function onSignedOut(listener: () => void): void {
  signedOutListeners.push(listener)
}

type Query = Record<string, string | number | boolean | null | undefined>

export interface RequestOptions {
  query?: Query
  body?: unknown
  form?: FormData
  signal?: AbortSignal
  headers?: Record<string, string>
  quiet401?: boolean // a 401 here is an answer, not the session ending (sign-in, session check)
}

export function withQuery(path: string, query?: Query): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value))
  }
  const text = params.toString()
  return text ? `${path}?${text}` : path
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers }
  let body: BodyInit | undefined
  if (options.form) body = options.form
  else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(options.body)
  }
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken
  let response: Response
  try {
    response = await fetch(withQuery(path, options.query), {
      method, headers, body, credentials: 'same-origin', signal: options.signal,
    })
  } catch (exc) {
    if ((exc as Error).name === 'AbortError') throw exc
    throw new ApiError(0, 'network', '网络连接失败，请检查网络后重试')
  }
  if (response.status === 204) return undefined as T
  const data = await response.json().catch(() => null)
  if (!response.ok) {
    const error = data?.error ?? {}
    if (response.status === 401 && !options.quiet401) signedOutListeners.forEach((l) => l())
    throw new ApiError(response.status, error.code ?? 'error',
      error.message ?? response.statusText, error.field ?? null, error.details ?? null)
  }
  return data as T
}

export const get = <T>(path: string, query?: Query, signal?: AbortSignal) =>
  request<T>('GET', path, { query, signal })
export const post = <T>(path: string, body?: unknown, headers?: Record<string, string>) =>
  request<T>('POST', path, { body: body ?? {}, headers })
export const patch = <T>(path: string, body: unknown) => request<T>('PATCH', path, { body })
export const del = <T>(path: string) => request<T>('DELETE', path)

export interface Paged<T> {
  items: T[]
  page: number
  page_size: number
  total: number
}

const SUMMARY: Record<string, string> = {
  network: '网络连接失败',
  validation_failed: '填写有误',
  not_found: '未找到',
  conflict: '操作冲突',
  forbidden: '无权操作',
  unauthenticated: '请重新登录',
  too_many_requests: '操作过于频繁',
  service_unavailable: '服务暂不可用，请稍后重试',
  upstream_error: '服务暂不可用，请稍后重试',
}

const HAS_CHINESE = /[\u4e00-\u9fff]/

// What a person reads for an error: our Chinese summary, then the API's own words.
export function describe(error: unknown): string {
  if (!(error instanceof ApiError)) return '出了点问题，请重试'
  const summary = SUMMARY[error.code] ?? (error.status >= 500 ? '服务出错，请稍后重试' : '操作未完成')
  if (error.code === 'network' || !error.message) return summary
  if (HAS_CHINESE.test(error.message)) return error.message
  return `${summary}（${error.message}）`
}
