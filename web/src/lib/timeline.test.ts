import { describe, expect, it } from 'vitest'
import { mergeTimeline } from './timeline'

describe('the customer timeline', () => {
  const merged = mergeTimeline({
    followups: [{ id: 'f1', type: 'viewing', content: '带看样板间', outcome: null, at: '2026-12-02T03:00:00Z',
      actor_id: 'u', units: ['3-1201', 'A户型'], next_contact_at: null }],
    stages: [{ from: 'new', from_label: '新线索', to: 'signed', to_label: '签约', at: '2026-12-02T05:00:00Z',
      actor_id: 'u', reason: null, deal_amount: 3_255_000, unit: '3-1201' }],
    tasks: [{ id: 't1', customer_id: 'c', owner_id: 'u', kind: 'first_contact', title: '首次联系客户', status: 'done',
      due_at: '2026-12-02T01:15:00Z', overdue: false, created_at: '2026-12-02T01:00:00Z', completed_at: '2026-12-02T04:00:00Z' }],
    arrivals: [{ lead_id: 'l1', channel: 'douyin', sub_source: '直播间', status: 'created', created_at: '2026-12-02T01:00:00Z',
      assignment_reason: 'round-robin', agent_id: null },
    { lead_id: 'l2', channel: 'walk_in', sub_source: null, status: 'duplicate', created_at: '2026-12-02T02:00:00Z',
      assignment_reason: null, agent_id: null }],
    rulings: [{ id: 'r1', outcome: 'channel', reason: '渠道报备在先', decided_at: '2026-12-02T02:00:01Z' }],
    attachments: [{ id: 'a1', filename: 'p.jpg', content_type: 'image/jpeg', followup_id: 'f1', at: '2026-12-02T03:00:01Z', size: 1 },
      { id: 'a2', filename: 'loose.pdf', content_type: 'application/pdf', followup_id: null, at: '2026-12-02T03:00:01Z', size: 1 }],
  })

  it('merges every source newest first', () => {
    expect(merged.map((e) => e.kind)).toEqual(['stage', 'task', 'followup', 'ruling', 'arrival', 'arrival'])
  })
  it('says each in words, a signing with amount and unit, a task by when it was done', () => {
    expect(merged[0]).toMatchObject({ title: '阶段：新线索 → 签约', detail: '成交 325.5万元，房号 3-1201', tone: 'success' })
    expect(merged[1]).toMatchObject({ title: '完成任务：首次联系客户', at: '2026-12-02T04:00:00Z' })
    expect(merged[2].detail).toBe('带看样板间（看了 3-1201、A户型）')
    expect(merged[4].title).toBe('再次来访（自然到访）')
    expect(merged[5].title).toBe('线索进入（抖音 · 直播间）')
  })
  it('keeps photos with the follow-up they were taken for', () => {
    expect(merged[2].attachments.map((a) => a.id)).toEqual(['a1'])
  })
})
