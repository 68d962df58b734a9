import { describe, expect, it } from 'vitest'
import type { Delivery, NotificationSettings } from '@/api/notifications'
import type { SubjectAnswer } from '@/api/privacy'
import { gridFrom, kindWord, routesFrom, testOutcome, urlProblem } from './notices'
import { mappingRows, parseMapping, webhookAddress } from './channelMapping'
import { answerLines, auditQuery } from './privacyWords'

const delivery = (status: Delivery['status'], error: string | null = null): Delivery =>
  ({ channel: 'wecom', status, attempts: 1, error, sent_at: null })

describe('notification routes', () => {
  const settings: NotificationSettings = { channels: { wecom: { url: 'https://h/****' } }, revision: 3,
    routes: { task_overdue: ['inbox', 'wecom'], escalation: ['dingtalk', 'inbox'] } }

  it('shows every kind with its external channels, and sends them back with 站内 first', () => {
    const grid = gridFrom(settings)
    expect(grid.task_overdue).toEqual(['wecom'])
    expect(grid.recycled).toEqual([])
    grid.recycled = ['sms', 'wecom']
    const routes = routesFrom(grid)
    expect(routes.recycled).toEqual(['inbox', 'wecom', 'sms'])
    expect(routes.escalation).toEqual(['inbox', 'dingtalk'])
    expect(Object.keys(routes)).toHaveLength(8)
  })

  it('names kinds in Chinese', () => {
    expect(kindWord('recycle_warning')).toBe('客户即将回收公海')
    expect(kindWord('new_kind')).toBe('new_kind')
  })
})

describe('testOutcome', () => {
  it('waits while nothing was tried, and tells sent, failed and retrying apart', () => {
    expect(testOutcome([], 'wecom').final).toBe(false)
    expect(testOutcome([delivery('pending')], 'wecom').state).toBe('pending')
    expect(testOutcome([delivery('sent')], 'wecom')).toMatchObject({ state: 'sent', final: true })
    expect(testOutcome([delivery('pending', 'HTTP 500: down')], 'wecom'))
      .toMatchObject({ state: 'retrying', final: true, text: '发送失败（将自动重试）：HTTP 500: down' })
    expect(testOutcome([delivery('failed', 'errcode 93000: invalid key')], 'wecom').text).toContain('invalid key')
    expect(testOutcome([delivery('sent')], 'dingtalk').final).toBe(false)
  })

  it('wants a whole http(s) address for a robot', () => {
    expect(urlProblem('')).toBe('请填写地址')
    expect(urlProblem('qyapi.weixin.qq.com/send')).not.toBeNull()
    expect(urlProblem('https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K')).toBeNull()
  })
})

describe('channel mapping', () => {
  it('reads as one row per field, with value tables, the lead id and the project', () => {
    const rows = mappingRows({ fields: { name: 'data.name', phone: 'data.tel' }, constants: { channel: 'douyin', name: '抖音用户' },
      values: { purpose: { 自住: 'self_use', '*': null } }, external_id: 'data.id', project: 'data.project_code' })
    expect(rows.map((r) => [r.label, r.from])).toEqual([
      ['姓名', '取自 data.name，缺省为 抖音用户'],
      ['手机号', '取自 data.tel'],
      ['渠道', '固定为 douyin'],
      ['购房目的取值对照', '自住 → self_use；其他 → （不填）'],
      ['平台线索ID', '取自 data.id（重复推送只算一次）'],
      ['项目', '按 data.project_code 对应项目'],
    ])
  })

  it('takes a JSON object or says why not; blank sends none', () => {
    expect(parseMapping('  ')).toEqual({})
    expect(parseMapping('{"fields": {}}').mapping).toEqual({ fields: {} })
    expect(parseMapping('[1]').problem).toBe('映射须是一个 JSON 对象')
    expect(parseMapping('{fields').problem).toBe('不是有效的 JSON')
  })

  it('gives the platform its address', () => {
    expect(webhookAddress('https://crm.example.cn', 'beike')).toBe('https://crm.example.cn/api/webhooks/leads/beike')
  })
})

describe('privacy', () => {
  const none = { action: '', actor_id: '', customer_id: '', from_date: '', to_date: '' }

  it('sends only the filters that are set, and names the one to fix', () => {
    expect(auditQuery(none, 2, 20).query).toEqual({ page: 2, page_size: 20 })
    expect(auditQuery({ ...none, action: 'export', from_date: '2026-12-01' }, 1, 20).query)
      .toEqual({ page: 1, page_size: 20, action: 'export', from_date: '2026-12-01' })
    expect(auditQuery({ ...none, customer_id: '123' }, 1, 20).field).toBe('customer_id')
    expect(auditQuery({ ...none, from_date: '2026-12-02', to_date: '2026-12-01' }, 1, 20).field).toBe('to_date')
  })

  it('says what a request came to', () => {
    const exported: SubjectAnswer = { request_id: 'r', kind: 'export', subject: { phone: null, customer_ids: ['c1'] },
      services: { customers: { holds_personal_data: true }, leads: { holds_personal_data: true }, analytics: { holds_personal_data: false } } }
    expect(answerLines(exported)).toEqual(['找到客户记录 1 条', '存有其个人信息的模块：客户、线索'])
    const erased: SubjectAnswer = { request_id: 'r', kind: 'erase', subject: { phone: '138', customer_ids: [] },
      erased_now: [], already_erased: [], notified: [], kept: ['审计'] }
    expect(answerLines(erased)).toEqual(['本次删除 0 条，此前已删除 0 条', '没有需要通知的模块', '保留：审计'])
  })
})
