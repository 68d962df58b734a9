import { describe, expect, it } from 'vitest'
import { allowedMoves } from './stages'

const labels = { new: '新线索', contacted: '初步沟通', invited: '邀约到访', visited: '首次接访', intent: '意向升级',
  subscribed: '认筹', signed: '网签', invalid: '无效', lost: '流失' }
const standard = ['new', 'contacted', 'invited', 'visited', 'intent', 'subscribed', 'signed']

describe('stage moves offered', () => {
  it('are forward only (skipping allowed) and the off-ramps, in the project names', () => {
    const moves = allowedMoves('invited', standard, labels)
    expect(moves.map((m) => m.stage)).toEqual(['visited', 'intent', 'subscribed', 'signed', 'invalid', 'lost'])
    expect(moves.find((m) => m.stage === 'signed')).toMatchObject({ label: '网签', needs: 'deal' })
    expect(moves.find((m) => m.stage === 'lost')?.needs).toBe('reason')
  })
  it('leave out stages the project does not use', () => {
    const noSubscription = standard.filter((s) => s !== 'subscribed')
    expect(allowedMoves('intent', noSubscription, labels).map((m) => m.stage)).toEqual(['signed', 'invalid', 'lost'])
  })
  it('let a signed customer only be lost (退房), and an invalid one only come back as new', () => {
    expect(allowedMoves('signed', standard, labels).map((m) => m.stage)).toEqual(['lost'])
    expect(allowedMoves('invalid', standard, labels).map((m) => m.stage)).toEqual(['new'])
  })
})
