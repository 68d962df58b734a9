import { createApp } from 'vue'
import 'vant/es/style/base.css'
import './styles.css'
import App from './App.vue'
import { router } from './router'
import { onSignedOut } from './api/http'
import { START_LOCATION } from 'vue-router'
import { forget, session } from './lib/session'

// The session ended (expired, signed out elsewhere): back to sign-in, then back here. Not
// while the app is opening: a prefetched 401 then is the router guard's to answer, and it
// knows where the user was going (the current route is still the start, "/").
onSignedOut(() => {
  if (!session.checked || router.currentRoute.value === START_LOCATION) return
  forget()
  const here = router.currentRoute.value
  if (here.name !== 'login') router.replace({ name: 'login', query: { next: here.fullPath } })
})

createApp(App).use(router).mount('#app')
