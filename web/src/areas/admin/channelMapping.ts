// A lead channel's payload mapping (services/leads/channel_mappings.yaml) as rows a person
// can read, the webhook address, and the mapping an admin pastes as JSON. No I/O.
import type { ChannelMapping } from '@/api/channels'

// Channels that come with a default mapping (the YAML's entries); others need one sent.
export const PRESET_CODES = ['douyin', 'beike', 'mini_program', 'website']
// contracts/leads.py Channel
export const CHANNEL_CODES = ['douyin', 'beike', 'mini_program', 'website', 'agency', 'walk_in',
  'referral', 'phone_call', 'manual', 'other']

const FIELD_WORDS: Record<string, string> = {
  name: '姓名', phone: '手机号', channel: '渠道', sub_source: '来源', note: '备注', city: '城市',
  district: '区域', budget_min: '预算下限', budget_max: '预算上限', layout: '户型',
  area_min: '面积下限', area_max: '面积上限', purpose: '购房目的', grade: '意向等级',
}
export const fieldWord = (field: string) => FIELD_WORDS[field] ?? field

export interface MappingRow {
  field: string
  label: string
  from: string // where the value comes from, in words
}

const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value))

// One row per lead field: the platform's path, else the fixed value; then the value tables,
// the platform's lead id and how the project is chosen.
export function mappingRows(mapping: ChannelMapping): MappingRow[] {
  const fields = mapping.fields ?? {}
  const constants = mapping.constants ?? {}
  const names = [...new Set([...Object.keys(fields), ...Object.keys(constants)])]
  const rows: MappingRow[] = names.map((field) => {
    const parts: string[] = []
    if (fields[field]) parts.push(`取自 ${fields[field]}`)
    if (field in constants) parts.push(fields[field] ? `缺省为 ${shown(constants[field])}` : `固定为 ${shown(constants[field])}`)
    return { field, label: fieldWord(field), from: parts.join('，') }
  })
  for (const [field, table] of Object.entries(mapping.values ?? {})) {
    const pairs = Object.entries(table).map(([k, v]) => `${k === '*' ? '其他' : k} → ${v === null ? '（不填）' : shown(v)}`)
    rows.push({ field: `values.${field}`, label: `${fieldWord(field)}取值对照`, from: pairs.join('；') })
  }
  if (mapping.external_id) rows.push({ field: 'external_id', label: '平台线索ID', from: `取自 ${mapping.external_id}（重复推送只算一次）` })
  if (mapping.project) rows.push({ field: 'project', label: '项目', from: `按 ${mapping.project} 对应项目` })
  return rows
}

export const webhookAddress = (origin: string, code: string) => `${origin}/api/webhooks/leads/${code}`

// The mapping an admin typed (JSON), or why it is not one; blank: none sent.
export function parseMapping(text: string): { mapping?: ChannelMapping; problem?: string } {
  if (!text.trim()) return {}
  try {
    const value = JSON.parse(text)
    if (!value || typeof value !== 'object' || Array.isArray(value)) return { problem: '映射须是一个 JSON 对象' }
    return { mapping: value as ChannelMapping }
  } catch {
    return { problem: '不是有效的 JSON' }
  }
}
