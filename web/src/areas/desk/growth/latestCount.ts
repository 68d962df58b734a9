// Counting a filter while it is being edited: ask once the edits pause (debounced), and
// only the answer to the latest filter is shown; an older request is aborted, and if its
// answer still arrives it is dropped.

export interface LatestOptions<Q, A> {
  ask: (query: Q, signal: AbortSignal) => Promise<A>
  onAnswer: (answer: A, query: Q) => void
  onError: (error: unknown, query: Q) => void
  onBusy?: (busy: boolean) => void
  delayMs?: number
}

export function latestOnly<Q, A>({ ask, onAnswer, onError, onBusy, delayMs = 300 }: LatestOptions<Q, A>) {
  let timer: ReturnType<typeof setTimeout> | null = null
  let asked = 0
  let inFlight: AbortController | null = null

  function run(query: Q): void {
    const mine = ++asked
    inFlight?.abort()
    const control = new AbortController()
    inFlight = control
    onBusy?.(true)
    ask(query, control.signal).then(
      (answer) => { if (mine === asked) onAnswer(answer, query) },
      (error) => { if (mine === asked && (error as Error)?.name !== 'AbortError') onError(error, query) },
    ).finally(() => { if (mine === asked) { inFlight = null; onBusy?.(false) } })
  }

  return {
    // The filter changed: count it once nothing changes for delayMs.
    change(query: Q): void {
      if (timer) clearTimeout(timer)
      timer = setTimeout(() => { timer = null; run(query) }, delayMs)
    },
    // Count now (the first load, a retry).
    now(query: Q): void {
      if (timer) clearTimeout(timer)
      timer = null
      run(query)
    },
    stop(): void {
      if (timer) clearTimeout(timer)
      timer = null
      asked++
      inFlight?.abort()
    },
  }
}
