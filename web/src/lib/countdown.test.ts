import { describe, expect, it } from 'vitest'
import { deadlineText, remaining } from './countdown'

const now = new Date('2026-12-02T02:00:00Z')

describe('remaining', () => {
  it('counts down in minutes and seconds, then hours', () => {
    expect(remaining('2026-12-02T02:02:15Z', now)).toMatchObject({ seconds: 135, text: '02:15', expired: false, urgent: false })
    expect(remaining('2026-12-02T03:02:15Z', now).text).toBe('1:02:15')
  })
  it('is urgent under a minute and ends at zero', () => {
    expect(remaining('2026-12-02T02:00:30Z', now)).toMatchObject({ text: '00:30', urgent: true })
    expect(remaining('2026-12-02T02:00:00Z', now)).toMatchObject({ expired: true, text: '已结束' })
    expect(remaining('2026-12-02T01:59:00Z', now).expired).toBe(true)
  })
  it('rounds a part second up, so 0.2 s left is not shown as over', () => {
    expect(remaining(new Date(now.getTime() + 200), now)).toMatchObject({ seconds: 1, expired: false })
  })
  it('treats an unreadable time as over', () => {
    expect(remaining('not a time', now).expired).toBe(true)
  })
})

describe('deadlineText', () => {
  it('says how late or how soon', () => {
    expect(deadlineText('2026-12-02T02:35:00Z', now)).toBe('35分钟后到期')
    expect(deadlineText('2026-12-02T00:00:00Z', now)).toBe('已超时 2小时')
    expect(deadlineText('2026-12-05T02:00:00Z', now)).toBe('3天后到期')
  })
})
