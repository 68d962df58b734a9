import { describe, expect, it } from 'vitest'
import { buildPlan, percent, progressWords, ruleWords } from './plan'

describe('buildPlan', () => {
  it('names the mode when none is chosen', () => {
    expect(buildPlan({ mode: '', to_user_id: '', projects: {} }).errors).toEqual({ mode: '请选择交接方式' })
  })

  it('needs a colleague for the colleague mode, and not the leaver', () => {
    expect(buildPlan({ mode: 'colleague', to_user_id: '', projects: {} }).errors.to_user_id).toBe('请选择接手的同事')
    const self = buildPlan({ mode: 'colleague', to_user_id: 'u1', projects: {} }, 'u1')
    expect(self.plan).toBeNull()
    expect(self.errors.to_user_id).toBe('不能交给离职人本人')
  })

  it('sends only the colleague with the colleague mode', () => {
    expect(buildPlan({ mode: 'pool', to_user_id: 'u2', projects: {} }).plan).toEqual({ mode: 'pool' })
    expect(buildPlan({ mode: 'colleague', to_user_id: 'u2', projects: {} }).plan)
      .toEqual({ mode: 'colleague', to_user_id: 'u2' })
  })

  it('checks each project rule under the field the API names', () => {
    const wrong = buildPlan({ mode: 'round_robin', to_user_id: '', projects: { p1: { mode: 'colleague', to_user_id: '' } } })
    expect(wrong.errors).toEqual({ 'projects.p1.to_user_id': '请选择接手的同事' })
    const right = buildPlan({ mode: 'round_robin', to_user_id: '', projects: { p1: { mode: 'pool', to_user_id: '' } } })
    expect(right.plan).toEqual({ mode: 'round_robin', projects: { p1: { mode: 'pool' } } })
  })
})

describe('progress', () => {
  it('is 0 until planned, then counts moved and skipped, 100 only when done', () => {
    expect(percent({ moved: 0, skipped: 0, total: null, done: false })).toBe(0)
    expect(percent({ moved: 3, skipped: 1, total: 8, done: false })).toBe(50)
    expect(percent({ moved: 8, skipped: 0, total: 8, done: false })).toBe(99)
    expect(percent({ moved: 0, skipped: 0, total: 0, done: true })).toBe(100)
  })

  it('says the counts in words', () => {
    expect(progressWords({ moved: 0, skipped: 0, total: null, done: false })).toBe('正在计划…')
    expect(progressWords({ moved: 3, skipped: 1, total: 8, done: false })).toBe('已处理 4 / 8 位')
    expect(progressWords({ moved: 7, skipped: 1, total: 8, done: true })).toBe('完成：转移 7 位，跳过 1 位')
    expect(progressWords({ moved: 2, skipped: 0, total: 2, done: true })).toBe('完成：转移 2 位')
  })

  it('names the colleague of a rule', () => {
    expect(ruleWords({ mode: 'colleague', to_user_id: 'u2' }, { u2: '李娜' })).toBe('全部交给 李娜')
    expect(ruleWords({ mode: 'pool' }, {})).toBe('释放到公海')
  })
})

describe('idempotencyKeys', () => {
  it('keeps the key for the same body and changes it with the body', async () => {
    const { idempotencyKeys } = await import('./idempotency')
    const keyFor = idempotencyKeys()
    const first = keyFor({ username: 'hz.chen' })
    expect(keyFor({ username: 'hz.chen' })).toBe(first)
    const second = keyFor({ username: 'desk.x' })
    expect(second).not.toBe(first)
    expect(keyFor({ username: 'desk.x' })).toBe(second)
  })
})
