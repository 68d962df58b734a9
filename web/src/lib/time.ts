// Dates and times as a sales office in China reads them: Asia/Shanghai, zh-CN.

export const ZONE = 'Asia/Shanghai'

const parts = new Intl.DateTimeFormat('en-CA', {
  timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
})

function fields(date: Date) {
  const out: Record<string, string> = {}
  for (const part of parts.formatToParts(date)) out[part.type] = part.value
  return out
}

// The calendar day in Shanghai, as YYYY-MM-DD.
export function dayKey(date: Date): string {
  const f = fields(date)
  return `${f.year}-${f.month}-${f.day}`
}

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * 86_400_000)
}

// "14:05" today, "昨天 14:05", "明天 09:00", "12月3日 14:05", "2025年12月3日" in another year.
export function formatWhen(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return ''
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return ''
  const f = fields(date)
  const time = `${f.hour}:${f.minute}`
  const day = dayKey(date)
  if (day === dayKey(now)) return `今天 ${time}`
  if (day === dayKey(addDays(now, -1))) return `昨天 ${time}`
  if (day === dayKey(addDays(now, 1))) return `明天 ${time}`
  const thisYear = fields(now).year === f.year
  const md = `${Number(f.month)}月${Number(f.day)}日`
  return thisYear ? `${md} ${time}` : `${f.year}年${md}`
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return ''
  const f = fields(new Date(iso))
  return `${f.year}年${Number(f.month)}月${Number(f.day)}日`
}

// Whole days from now until `iso` in Shanghai's calendar (negative: past).
export function daysUntil(iso: string, now: Date = new Date()): number {
  const a = Date.parse(dayKey(now) + 'T00:00:00Z')
  const b = Date.parse(dayKey(new Date(iso)) + 'T00:00:00Z')
  return Math.round((b - a) / 86_400_000)
}
