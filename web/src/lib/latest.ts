// Only the latest of overlapping requests may change the page: a director who switches from
// project A to B must never see (and then save over B) A's answer arriving last.
//   const ask = latestOnly()
//   const current = ask(); const found = await get(); if (!current()) return
export function latestOnly(): () => () => boolean {
  let asked = 0
  return () => {
    const mine = ++asked
    return () => mine === asked
  }
}
