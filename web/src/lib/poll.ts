import { onBeforeUnmount, onMounted } from 'vue'

// Run `tick` now and every `ms` while the page is open and visible (a hidden tab does not
// poll; coming back polls at once). Why polling and not server-sent events: an open
// stream holds one of the gateway's few gthread threads per phone for as long as the page
// is open; a poll every few seconds is one short request.
export function usePolling(tick: () => Promise<unknown> | void, ms: number): { refresh: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined
  let running = false
  let stopped = false

  const schedule = () => {
    clearTimeout(timer)
    if (!stopped) timer = setTimeout(run, ms)
  }
  const run = async () => {
    if (stopped) return
    if (document.visibilityState === 'hidden') return schedule()
    if (running) return
    running = true
    try { await tick() } catch { /* the page shows its own error state */ } finally {
      running = false
      schedule()
    }
  }
  const onVisible = () => { if (document.visibilityState === 'visible') run() }

  onMounted(() => {
    document.addEventListener('visibilitychange', onVisible)
    run()
  })
  onBeforeUnmount(() => {
    stopped = true
    clearTimeout(timer)
    document.removeEventListener('visibilitychange', onVisible)
  })
  return { refresh: run }
}
