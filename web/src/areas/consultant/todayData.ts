// 今日's data: open tasks, the customers just assigned, unread notices. On a phone that
// opens the app at 今日 the three requests start while the session is still being checked
// (prefetchToday, called by the router before it waits for the session): on a slow
// network that saves a whole round trip before the page can show anything.
import * as tasksApi from '@/api/tasks'
import * as customersApi from '@/api/customers'
import * as noticesApi from '@/api/notifications'

const fetchToday = () => Promise.all([
  tasksApi.list({ status: 'open', page_size: 100 }),
  customersApi.list({ stage: 'new', page_size: 10 }),
  noticesApi.list({ unread: true, page_size: 50 }),
])

let early: ReturnType<typeof fetchToday> | null = null

export function prefetchToday(): void {
  early = fetchToday()
  early.catch(() => { /* the page asks again and shows the error */ })
}

// The prefetched answers once (if any), else fresh ones.
export function loadToday(): ReturnType<typeof fetchToday> {
  const answers = early ?? fetchToday()
  early = null
  return answers.catch(() => fetchToday())
}
