// The privacy pages' words and the small rules behind their forms. No I/O.
import type { AuditQuery, SubjectAnswer } from '@/api/privacy'

export const AUDIT_ACTIONS: Record<string, string> = {
  reveal_phone: '查看号码', export: '导出客户', dsar_export: '个人信息导出', dsar_erase: '个人信息删除',
}
export const actionWord = (action: string) => AUDIT_ACTIONS[action] ?? action

export const REQUEST_KINDS: Record<string, string> = { export: '导出（查阅复制）', erase: '删除' }

export const CONSENT_PURPOSES: Record<string, string> = {
  marketing: '营销推送', data_processing: '个人信息处理', sharing_with_agent: '向渠道经纪人提供',
}
export const CONSENT_CHANNELS: Record<string, string> = {
  paper: '纸质签字', wechat: '微信', sms: '短信', app: '应用内', phone: '电话',
}

export const SERVICE_WORDS: Record<string, string> = {
  customers: '客户', leads: '线索', tasks: '任务与通知', analytics: '统计', directory: '组织架构',
  service_desk: '业主服务',
}

export interface AuditFilters {
  action: string
  actor_id: string
  customer_id: string
  from_date: string
  to_date: string
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const isCustomerId = (text: string) => UUID.test(text.trim())

// The query for the audit, or the field a person must fix first (named as the API would).
export function auditQuery(filters: AuditFilters, page: number, pageSize: number):
  { query?: AuditQuery; field?: keyof AuditFilters; problem?: string } {
  const customer = filters.customer_id.trim()
  if (customer && !isCustomerId(customer)) return { field: 'customer_id', problem: '请填写完整的客户ID' }
  if (filters.from_date && filters.to_date && filters.to_date < filters.from_date)
    return { field: 'to_date', problem: '结束日期不能早于开始日期' }
  const query: AuditQuery = { page, page_size: pageSize }
  if (filters.action) query.action = filters.action
  if (filters.actor_id) query.actor_id = filters.actor_id
  if (customer) query.customer_id = customer
  if (filters.from_date) query.from_date = filters.from_date
  if (filters.to_date) query.to_date = filters.to_date
  return { query }
}

// What a request came to, in lines a person reads.
export function answerLines(answer: SubjectAnswer): string[] {
  const records = answer.subject.customer_ids.length
  if (answer.kind === 'export') {
    const holding = Object.entries(answer.services ?? {}).filter(([, part]) => part.holds_personal_data)
      .map(([name]) => SERVICE_WORDS[name] ?? name)
    return [`找到客户记录 ${records} 条`,
      holding.length ? `存有其个人信息的模块：${holding.join('、')}` : '各模块均未存有其个人信息']
  }
  return [`本次删除 ${answer.erased_now?.length ?? 0} 条，此前已删除 ${answer.already_erased?.length ?? 0} 条`,
    answer.notified?.length ? `已通知 ${answer.notified.map((s) => SERVICE_WORDS[s] ?? s).join('、')} 模块同步删除` : '没有需要通知的模块',
    ...(answer.kept ?? []).map((k) => `保留：${k}`)]
}
