import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { latestOnly } from './latestCount'

interface Pending { query: string; signal: AbortSignal; resolve: (n: number) => void; reject: (e: unknown) => void }

function harness(delayMs = 300) {
  const pending: Pending[] = []
  const shown: Array<[number, string]> = []
  const errors: unknown[] = []
  const counter = latestOnly<string, number>({
    ask: (query, signal) => new Promise((resolve, reject) => { pending.push({ query, signal, resolve, reject }) }),
    onAnswer: (answer, query) => shown.push([answer, query]),
    onError: (error) => errors.push(error),
    delayMs,
  })
  return { counter, pending, shown, errors }
}

describe('counting the latest filter', () => {
  beforeEach(() => { vi.useFakeTimers() })
  afterEach(() => { vi.useRealTimers() })

  it('asks once when the edits pause, for the last filter', async () => {
    const { counter, pending } = harness()
    counter.change('a')
    vi.advanceTimersByTime(200)
    counter.change('ab')
    vi.advanceTimersByTime(200)
    counter.change('abc')
    expect(pending).toHaveLength(0)
    vi.advanceTimersByTime(300)
    expect(pending.map((p) => p.query)).toEqual(['abc'])
  })

  it('an older answer arriving after a newer one is never shown', async () => {
    const { counter, pending, shown } = harness()
    counter.now('old')
    counter.now('new')
    expect(pending[0].signal.aborted).toBe(true)
    pending[1].resolve(7)
    pending[0].resolve(99)
    await vi.runAllTimersAsync()
    expect(shown).toEqual([[7, 'new']])
  })

  it('an older request failing is not an error of the latest', async () => {
    const { counter, pending, shown, errors } = harness()
    counter.now('old')
    counter.now('new')
    pending[0].reject(new Error('late failure'))
    pending[1].resolve(3)
    await vi.runAllTimersAsync()
    expect(errors).toEqual([])
    expect(shown).toEqual([[3, 'new']])
  })

  it('the latest failing is reported', async () => {
    const { counter, pending, errors } = harness()
    counter.now('x')
    pending[0].reject(new Error('refused'))
    await vi.runAllTimersAsync()
    expect(errors).toHaveLength(1)
  })

  it('after stop nothing more is asked or shown', async () => {
    const { counter, pending, shown } = harness()
    counter.now('x')
    counter.change('y')
    counter.stop()
    vi.advanceTimersByTime(1000)
    pending[0].resolve(1)
    await vi.runAllTimersAsync()
    expect(pending).toHaveLength(1)
    expect(shown).toEqual([])
  })
})
