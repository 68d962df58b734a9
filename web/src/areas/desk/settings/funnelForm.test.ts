import { describe, expect, it } from 'vitest'
import { fieldWeights, fieldsBody, funnelBody, funnelRows } from './funnelForm'

describe('the funnel form', () => {
  it('keeps the fixed stages on and sends only the used stages and the names given', () => {
    const rows = funnelRows({ stages: ['new', 'contacted', 'visited', 'signed'], renamed: { signed: '网签' } })
    expect(rows.find((r) => r.stage === 'new')).toMatchObject({ used: true, fixed: true })
    expect(rows.find((r) => r.stage === 'invited')).toMatchObject({ used: false, fixed: false })
    rows.find((r) => r.stage === 'subscribed')!.used = true
    rows.find((r) => r.stage === 'subscribed')!.name = ' 认购 '
    rows.find((r) => r.stage === 'lost')!.name = '战败'
    rows.find((r) => r.stage === 'invited')!.name = '不用的名字'   // unused: not sent
    expect(funnelBody(rows)).toEqual({
      stages: ['new', 'contacted', 'visited', 'subscribed', 'signed'],
      labels: { subscribed: '认购', signed: '网签', lost: '战败' },
    })
  })
})

describe('the profile fields form', () => {
  it('turns weights into required and optional lists, keeping the tag dimensions', () => {
    const answer = { required: ['budget', 'tag:focus'], optional: ['name', 'tag:family'] }
    const weights = fieldWeights(answer)
    expect(weights.budget).toBe('required')
    expect(weights.name).toBe('optional')
    expect(weights.wechat).toBe('none')
    weights.wechat = 'required'
    weights.name = 'none'
    expect(fieldsBody(answer, weights)).toEqual({
      required: ['wechat', 'budget', 'tag:focus'], optional: ['tag:family'],
    })
  })
})
