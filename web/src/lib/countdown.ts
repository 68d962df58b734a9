// Countdowns (抢单 offers, task deadlines): what is left, as a person reads it.

export interface Remaining {
  seconds: number
  expired: boolean
  text: string // "02:15", "1:02:15", "已结束"
  urgent: boolean // under a minute
}

const pad = (n: number) => String(n).padStart(2, '0')

export function remaining(until: string | Date, now: Date = new Date()): Remaining {
  const end = typeof until === 'string' ? Date.parse(until) : until.getTime()
  const seconds = Math.max(0, Math.ceil((end - now.getTime()) / 1000))
  if (Number.isNaN(end) || seconds <= 0) {
    return { seconds: 0, expired: true, text: '已结束', urgent: false }
  }
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  const text = h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`
  return { seconds, expired: false, text, urgent: seconds < 60 }
}

// How late or how soon a deadline is, in words: "已超时 2小时", "35分钟后到期".
export function deadlineText(due: string, now: Date = new Date()): string {
  const minutes = Math.round((Date.parse(due) - now.getTime()) / 60000)
  const span = (m: number) => {
    const a = Math.abs(m)
    if (a < 60) return `${a}分钟`
    if (a < 24 * 60) return `${Math.floor(a / 60)}小时`
    return `${Math.floor(a / 1440)}天`
  }
  if (minutes < 0) return `已超时 ${span(minutes)}`
  if (minutes === 0) return '即将到期'
  return `${span(minutes)}后到期`
}
