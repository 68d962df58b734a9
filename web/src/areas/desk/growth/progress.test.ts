import { describe, expect, it } from 'vitest'
import { campaignRunning, deliveryPercent, importPercent, importRunning } from './progress'

describe('import progress', () => {
  it('is the share of rows processed, 100 once done', () => {
    expect(importPercent({ status: 'queued', processed: 0, total: 0 })).toBe(0)
    expect(importPercent({ status: 'running', processed: 1, total: 3 })).toBe(33)
    expect(importPercent({ status: 'running', processed: 5, total: 4 })).toBe(100)
    expect(importPercent({ status: 'done', processed: 0, total: 0 })).toBe(100)
  })
  it('runs while queued or running', () => {
    expect(importRunning('queued') && importRunning('running')).toBe(true)
    expect(importRunning('done') || importRunning('failed')).toBe(false)
  })
})

describe('campaign delivery', () => {
  const base = { status: 'delivering', recipients: 8, delivered: 0, failed: 0, not_sent: 0 }
  it('counts delivered, failed and not sent as handled', () => {
    expect(deliveryPercent({ ...base, delivered: 2, failed: 1, not_sent: 1 })).toBe(50)
    expect(deliveryPercent({ ...base, status: 'delivered', delivered: 7, failed: 1 })).toBe(100)
    expect(deliveryPercent({ ...base, recipients: 0 })).toBe(0)
  })
  it('runs until delivered', () => {
    expect(campaignRunning({ ...base, status: 'started' })).toBe(true)
    expect(campaignRunning({ ...base, status: 'delivered' })).toBe(false)
  })
})
