// Segments (saved filters over the customers in your scope, /api/segments) and the
// campaigns sent to them (/api/campaigns). Opted-out customers are never recipients.
import { get, post, request } from './http'

export interface DateRange { after?: string; before?: string; more_than_days_ago?: number; within_days?: number; or_never?: boolean }

export interface SegmentFilter {
  tags?: string[]                 // "dimension:value"
  tags_match?: 'any' | 'all'
  stages?: string[]
  project_ids?: string[]
  owner_ids?: string[]
  purposes?: string[]
  created?: DateRange
  last_followup?: DateRange
  opted_out?: boolean
}

export interface Segment { id: string; name: string; filter: SegmentFilter; created_by: string; created_at: string }
export interface SegmentCount { segment_id: string | null; count: number }

export type CampaignChannel = 'sms' | 'wechat' | 'in_app'
export interface Campaign {
  id: string
  segment_id: string
  channel: CampaignChannel
  message: string
  status: string // started → delivering → delivered
  recipients: number
  skipped_opted_out: number
  created_by: string
  created_at: string
  delivered: number
  failed: number
  not_sent: number
  finished_at: string | null
}

export const count = (filter: SegmentFilter, signal?: AbortSignal) =>
  request<SegmentCount>('POST', '/api/segments/count', { body: filter, signal })
export const save = (name: string, filter: SegmentFilter) => post<Segment>('/api/segments', { name, filter })
export const list = () => get<{ items: Segment[] }>('/api/segments')
export const countSaved = (id: string) => get<SegmentCount>(`/api/segments/${id}/count`)

export interface NewCampaign { segment_id: string; channel: CampaignChannel; message: string }
export const startCampaign = (campaign: NewCampaign, idempotencyKey: string) =>
  post<Campaign>('/api/campaigns', campaign, { 'Idempotency-Key': idempotencyKey })
export const campaigns = () => get<{ items: Campaign[] }>('/api/campaigns')
