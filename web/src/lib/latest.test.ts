import { describe, expect, it } from 'vitest'
import { latestOnly } from './latest'

describe('latestOnly', () => {
  it('lets only the latest request count', () => {
    const ask = latestOnly()
    const first = ask()
    const second = ask()
    expect(first()).toBe(false)
    expect(second()).toBe(true)
  })
})
