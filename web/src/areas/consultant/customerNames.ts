// Names of customers that tasks point to (a task carries only the customer's id), asked
// once each and kept for the page's life. A customer out of scope stays unnamed.
import { reactive } from 'vue'
import * as customers from '@/api/customers'

export const names = reactive<Record<string, string>>({})
const asked = new Set<string>()

export function remember(id: string, name: string): void {
  names[id] = name
  asked.add(id)
}

const AT_ONCE = 50   // 50 ids keep the URL well under gunicorn's 4 KB request line

// One request per 50 names (not one per task): a 今日 with 30 tasks on a slow phone
// network costs one round trip.
export async function nameAll(ids: string[]): Promise<void> {
  const missing = [...new Set(ids)].filter((id) => !asked.has(id))
  missing.forEach((id) => asked.add(id))
  for (let at = 0; at < missing.length; at += AT_ONCE) {
    const some = missing.slice(at, at + AT_ONCE)
    try {
      const found = await customers.list({ ids: some.join(','), page_size: AT_ONCE })
      found.items.forEach((c) => { names[c.id] = c.name })
    } catch {
      some.forEach((id) => asked.delete(id))
    }
  }
}
