import { get, post, request, type Paged } from './http'

export interface Notice {
  id: string
  kind: string
  title: string
  body: string
  link: string | null
  created_at: string
  read: boolean
}

export const list = (query: Record<string, string | number | boolean>) =>
  get<Paged<Notice> & { unread: number }>('/api/notifications', query)
export const markRead = (id: string) => post<Notice>(`/api/notifications/${id}/read`)
export const markAllRead = () => post<unknown>('/api/notifications/read-all')

// The company's notification channels and routes (admin). Secrets never come back: robot
// URLs are shown as their host, keys as "****".
export interface NotificationSettings {
  channels: {
    wecom?: { url: string }
    dingtalk?: { url: string; secret: string | null }
    sms?: { url: string; api_key: string; sender: string; templates: Record<string, string>; phones: Record<string, string> }
  }
  routes: Record<string, string[]>
  revision: number
}

export interface SettingsChange {
  channels?: Record<string, Record<string, unknown> | null>
  routes?: Record<string, string[]>
}

export interface TestSent {
  notification_id: string
  kind: string
  channels: string[]
  skipped: Record<string, string>
}

export interface Delivery {
  channel: string
  status: 'pending' | 'sent' | 'failed' | 'skipped'
  attempts: number
  error: string | null
  sent_at: string | null
}

export const settings = () => get<NotificationSettings>('/api/notification-settings')
export const configure = (change: SettingsChange) =>
  request<NotificationSettings>('PUT', '/api/notification-settings', { body: change })
export const sendTest = (channel: string, kind = 'task_overdue') =>
  post<TestSent>('/api/notifications/test', { kind, channel })
export const testResult = (notificationId: string) =>
  get<{ notification_id: string; kind: string; deliveries: Delivery[] }>(`/api/notifications/test/${notificationId}`)
