// The customer page's one timeline: follow-ups, stage moves, tasks, arrivals (leads) and
// rulings (判客) merged newest first, photos with the follow-up they belong to.

import type { Attachment, Followup, StageChange } from '@/api/customers'
import type { Arrival, Ruling } from '@/api/leads'
import type { Task } from '@/api/tasks'

export interface Entry {
  key: string
  at: string
  kind: 'followup' | 'stage' | 'task' | 'arrival' | 'ruling'
  title: string
  detail: string
  tone: 'primary' | 'success' | 'warning' | 'danger' | 'default'
  attachments: Attachment[]
}

export const FOLLOWUP_TYPES: Record<string, string> = {
  call: '电话', wechat: '微信', sms: '短信', visit: '到访', viewing: '带看', other: '其他',
}

const CHANNELS: Record<string, string> = {
  douyin: '抖音', beike: '贝壳', agency: '中介渠道', walk_in: '自然到访', referral: '老带新',
  website: '官网', mini_program: '小程序', other: '其他', phone_call: '来电', manual: '手工录入', import: '导入',
}

export const channelLabel = (code: string) => CHANNELS[code] ?? code

const yuan = (amount: number) => `${(amount / 10_000).toLocaleString('zh-CN')}万元`

export interface Sources {
  followups?: Followup[]
  stages?: StageChange[]
  tasks?: Task[]
  arrivals?: Arrival[]
  rulings?: Ruling[]
  attachments?: Attachment[]
}

function rulingTime(r: Ruling): string {
  return String(r.decided_at ?? r.at ?? r.created_at ?? '')
}

export function mergeTimeline(sources: Sources): Entry[] {
  const byFollowup = new Map<string, Attachment[]>()
  for (const a of sources.attachments ?? []) {
    if (!a.followup_id) continue
    byFollowup.set(a.followup_id, [...(byFollowup.get(a.followup_id) ?? []), a])
  }
  const entries: Entry[] = []
  for (const f of sources.followups ?? []) {
    const units = f.units?.length ? `（看了 ${f.units.join('、')}）` : ''
    entries.push({
      key: `f:${f.id}`, at: f.at, kind: 'followup', tone: 'primary',
      title: `${FOLLOWUP_TYPES[f.type] ?? f.type}跟进`,
      detail: `${f.content}${units}${f.outcome ? ` · ${f.outcome}` : ''}`,
      attachments: byFollowup.get(f.id) ?? [],
    })
  }
  for (const s of sources.stages ?? []) {
    const deal = s.to === 'signed' && s.deal_amount ? `成交 ${yuan(s.deal_amount)}，房号 ${s.unit ?? ''}` : ''
    entries.push({
      key: `s:${s.at}:${s.to}`, at: s.at, kind: 'stage',
      tone: s.to === 'signed' ? 'success' : ['invalid', 'lost'].includes(s.to) ? 'danger' : 'warning',
      title: `阶段：${s.from_label} → ${s.to_label}`, detail: deal || s.reason || '', attachments: [],
    })
  }
  for (const t of sources.tasks ?? []) {
    const done = t.status === 'done' || t.status === 'completed'
    entries.push({
      key: `t:${t.id}`, at: done && t.completed_at ? t.completed_at : t.created_at, kind: 'task',
      tone: t.status === 'open' && t.overdue ? 'danger' : 'default',
      title: `${done ? '完成任务' : t.status === 'open' ? '新任务' : '任务已取消'}：${t.title}`,
      detail: t.status === 'open' ? (t.overdue ? '已超时' : '') : '', attachments: [],
    })
  }
  for (const a of sources.arrivals ?? []) {
    const via = channelLabel(a.channel) + (a.sub_source ? ` · ${a.sub_source}` : '')
    entries.push({
      key: `a:${a.lead_id}`, at: a.created_at, kind: 'arrival', tone: 'default',
      title: a.status === 'duplicate' ? `再次来访（${via}）` : `线索进入（${via}）`,
      detail: a.assignment_reason ?? '', attachments: [],
    })
  }
  for (const r of sources.rulings ?? []) {
    entries.push({
      key: `r:${String(r.id ?? rulingTime(r))}`, at: rulingTime(r), kind: 'ruling', tone: 'warning',
      title: '判客', detail: String(r.reason ?? r.outcome ?? ''), attachments: [],
    })
  }
  return entries
    .filter((e) => e.at)
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || a.key.localeCompare(b.key))
}
