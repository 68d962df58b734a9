// Notification settings in an office's words: the kinds of notice, the channels, a route
// grid (kind → channels) and what a channel test came to. No I/O.
import type { Delivery, NotificationSettings } from '@/api/notifications'

// contracts/tasks.py NoticeKind, in the order an admin thinks of them.
export const NOTICE_KINDS: Array<[string, string]> = [
  ['task_due_soon', '任务即将到期'],
  ['task_overdue', '任务已逾期'],
  ['escalation', '逾期升级（通知上级）'],
  ['no_followup_warning', '客户久未跟进'],
  ['recycle_warning', '客户即将回收公海'],
  ['recycled', '客户已回收公海'],
  ['campaign', '营销短信（发给客户）'],
  ['campaign_forward', '营销转发（提醒顾问）'],
]

export const EXTERNAL_CHANNELS = ['wecom', 'dingtalk', 'sms'] as const
export type ExternalChannel = (typeof EXTERNAL_CHANNELS)[number]

export const CHANNEL_WORDS: Record<string, string> = {
  inbox: '站内消息', wecom: '企业微信', dingtalk: '钉钉', sms: '短信',
}

export const kindWord = (kind: string) => NOTICE_KINDS.find(([k]) => k === kind)?.[1] ?? kind
export const channelWord = (channel: string) => CHANNEL_WORDS[channel] ?? channel

export type RouteGrid = Record<string, string[]>

// Every kind with the external channels it goes to (站内 always, so never listed).
export function gridFrom(settings: NotificationSettings): RouteGrid {
  return Object.fromEntries(NOTICE_KINDS.map(([kind]) => [kind,
    (settings.routes[kind] ?? []).filter((c) => c !== 'inbox')]))
}

// The `routes` the API takes: every kind, 站内 first, channels in a fixed order.
export function routesFrom(grid: RouteGrid): Record<string, string[]> {
  return Object.fromEntries(NOTICE_KINDS.map(([kind]) => [kind,
    ['inbox', ...EXTERNAL_CHANNELS.filter((c) => (grid[kind] ?? []).includes(c))]]))
}

export interface Outcome {
  state: 'pending' | 'retrying' | 'sent' | 'failed' | 'skipped'
  text: string
  final: boolean
}

// What a test of `channel` came to, from its delivery (none yet: still being queued).
export function testOutcome(deliveries: Delivery[], channel: string): Outcome {
  const d = deliveries.find((x) => x.channel === channel)
  if (!d || (d.status === 'pending' && !d.error)) return { state: 'pending', text: '发送中…', final: false }
  if (d.status === 'sent') return { state: 'sent', text: '发送成功：对方已收到测试通知', final: true }
  if (d.status === 'skipped') return { state: 'skipped', text: `未发送：${d.error ?? ''}`, final: true }
  if (d.status === 'pending') return { state: 'retrying', text: `发送失败（将自动重试）：${d.error}`, final: true }
  return { state: 'failed', text: `发送失败：${d.error ?? '未知原因'}`, final: true }
}

// A robot's address as a person may type it: http(s), a host, no spaces.
export function urlProblem(url: string): string | null {
  if (!url.trim()) return '请填写地址'
  if (!/^https?:\/\/[^\s/?#@]+(?:[/?#]\S*)?$/.test(url.trim())) return '请填写以 https:// 开头的完整地址'
  return null
}
