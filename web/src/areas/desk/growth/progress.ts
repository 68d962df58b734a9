// How far an import or a campaign's delivery has come, in the words the desk shows.
import type { ImportState, ImportStatus } from '@/api/imports'
import type { Campaign } from '@/api/segments'

const percentOf = (done: number, total: number) =>
  total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0

export function importPercent(job: Pick<ImportStatus, 'status' | 'processed' | 'total'>): number {
  if (job.status === 'done') return 100
  return percentOf(job.processed, job.total)
}

export const importRunning = (state: ImportState) => state === 'queued' || state === 'running'

export const IMPORT_STATE_LABELS: Record<ImportState, string> = {
  queued: '排队中', running: '导入中', done: '已完成', failed: '失败',
}

export type Delivery = Pick<Campaign, 'status' | 'recipients' | 'delivered' | 'failed' | 'not_sent'>

// Every recipient the notification service has finished with (sent, failed or not sent).
export const handled = (c: Delivery) => c.delivered + c.failed + c.not_sent

export function deliveryPercent(c: Delivery): number {
  if (c.status === 'delivered') return 100
  return percentOf(handled(c), c.recipients)
}

export const campaignRunning = (c: Delivery) => c.status !== 'delivered'

export const CAMPAIGN_STATE_LABELS: Record<string, string> = {
  started: '待发送', delivering: '发送中', delivered: '已完成',
}

export const CHANNEL_LABELS: Record<string, string> = { sms: '短信', wechat: '微信', in_app: '站内消息' }
