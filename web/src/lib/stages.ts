// Which stage moves a consultant is offered: the server's rule (services/customers/domain.py
// check_move), so that nothing is offered that the API would refuse.

export const FUNNEL = ['new', 'contacted', 'invited', 'visited', 'intent', 'subscribed', 'signed']
export const OFF_RAMPS = ['invalid', 'lost']

export interface Move {
  stage: string
  label: string
  needs: 'nothing' | 'reason' | 'deal'
}

export function allowedMoves(current: string, stages: string[], labels: Record<string, string>): Move[] {
  const label = (s: string) => labels[s] ?? s
  if (OFF_RAMPS.includes(current)) return [{ stage: 'new', label: `重新激活为${label('new')}`, needs: 'nothing' }]
  const here = FUNNEL.indexOf(current)
  const forward = stages
    .filter((s) => FUNNEL.indexOf(s) > here)
    .map((s): Move => ({ stage: s, label: label(s), needs: s === 'signed' ? 'deal' : 'nothing' }))
  const off: Move[] = current === 'signed'
    ? [{ stage: 'lost', label: `${label('lost')}（退房）`, needs: 'reason' }]
    : OFF_RAMPS.map((s): Move => ({ stage: s, label: label(s), needs: 'reason' }))
  return [...forward, ...off]
}

// The standard names of the stages (a project may rename them: GET /api/projects/<id>/funnel).
export const STAGE_NAMES: Record<string, string> = {
  new: '新线索', contacted: '初步沟通', invited: '邀约到访', visited: '首次接访', intent: '意向升级',
  subscribed: '认筹', signed: '签约', invalid: '无效', lost: '流失',
}
