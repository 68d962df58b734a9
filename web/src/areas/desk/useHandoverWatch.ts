// Watch a handover until it is done: ask every 1.5 s while the page is open and visible,
// then stop. (Polling, not a stream: see lib/poll.ts.)
import { onBeforeUnmount, ref } from 'vue'
import type { HandoverStatus } from '@/api/handover'

export function useHandoverWatch(read: (id: string) => Promise<HandoverStatus>, every = 1500) {
  const status = ref<HandoverStatus | null>(null)
  const error = ref<unknown>(null)
  let timer: ReturnType<typeof setTimeout> | undefined
  let watching = ''

  async function tick(id: string) {
    if (id !== watching) return
    if (document.visibilityState !== 'hidden') {
      try {
        status.value = await read(id)
        error.value = null
      } catch (exc) {
        error.value = exc
      }
    }
    if (id === watching && !status.value?.done) timer = setTimeout(() => tick(id), every)
  }

  function watch(id: string, first?: HandoverStatus) {
    stop()
    watching = id
    status.value = first ?? null
    if (first?.done) return
    timer = setTimeout(() => tick(id), first ? every : 0)
  }

  function stop() {
    watching = ''
    clearTimeout(timer)
  }

  onBeforeUnmount(stop)
  return { status, error, watch, stop }
}
