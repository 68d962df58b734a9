// Every area of the app is a group of routes here, its pages loaded when first opened, so
// the phone's 今日 never downloads the desk, the admin or the API docs. Later areas (the
// manager's desk, the service desk, the homeowners' portal, the analytics cockpit) add
// their own group and folder under areas/.
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { homeOf, passwordPageOf, restore, session, STAFF } from '@/lib/session'
import { mayOpen } from '@/lib/roles'
import { prefetchToday } from '@/areas/consultant/todayData'

const consultant: RouteRecordRaw = {
  path: '/',
  component: () => import('@/areas/consultant/ConsultantLayout.vue'),
  meta: { roles: STAFF },
  children: [
    { path: 'today', name: 'today', component: () => import('@/areas/consultant/TodayPage.vue'), meta: { title: '今日', tab: true, prefetch: prefetchToday } },
    { path: 'customers', name: 'customers', component: () => import('@/areas/consultant/CustomersPage.vue'), meta: { title: '我的客户', tab: true } },
    { path: 'customers/:id', name: 'customer', component: () => import('@/areas/consultant/CustomerPage.vue'), meta: { title: '客户详情' } },
    { path: 'pool', name: 'pool', component: () => import('@/areas/consultant/PoolPage.vue'), meta: { title: '公海', tab: true } },
    { path: 'grab', name: 'grab', component: () => import('@/areas/consultant/GrabPage.vue'), meta: { title: '抢单' } },
    { path: 'new-lead', name: 'new-lead', component: () => import('@/areas/consultant/NewLeadPage.vue'), meta: { title: '录入客户' } },
    { path: 'reception', name: 'reception', component: () => import('@/areas/consultant/ReceptionPage.vue'), meta: { title: '接待' } },
    { path: 'messages', name: 'messages', component: () => import('@/areas/consultant/MessagesPage.vue'), meta: { title: '消息', tab: true } },
    { path: 'me', name: 'me', component: () => import('@/areas/shared/MePage.vue'), meta: { title: '我的', tab: true } },
  ],
}

const agent: RouteRecordRaw = {
  path: '/agent',
  component: () => import('@/areas/agent/AgentLayout.vue'),
  meta: { roles: ['channel_agent'] },
  children: [
    { path: '', name: 'agent-register', component: () => import('@/areas/agent/RegisterPage.vue'), meta: { title: '报备客户', tab: true } },
    { path: 'registrations', name: 'agent-registrations', component: () => import('@/areas/agent/RegistrationsPage.vue'), meta: { title: '我的报备', tab: true } },
    { path: 'me', name: 'agent-me', component: () => import('@/areas/shared/MePage.vue'), meta: { title: '我的', tab: true } },
  ],
}

// The desk's and the administration's routes (areas/desk/routes.ts) are a chunk of their
// own, added on the first visit to one of their addresses: 今日's entry chunk carries
// neither their table nor their pages.
const deskDoor: RouteRecordRaw = { path: '/:area(desk|admin)/:rest(.*)*', name: 'desk-door', component: () => import('@/areas/shared/MissingPage.vue') }

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/areas/auth/LoginPage.vue'), meta: { title: '登录', public: true } },
  { path: '/unavailable', name: 'unavailable', component: () => import('@/areas/auth/UnavailablePage.vue'), meta: { title: '客源' } },
  consultant,
  agent,
  deskDoor,
  { path: '/:rest(.*)*', name: 'missing', component: () => import('@/areas/shared/MissingPage.vue'), meta: { title: '未找到', public: true } },
]

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior: (to, from, saved) => saved ?? { top: 0 },
})

router.beforeEach(async (to) => {
  if (to.name === 'desk-door') {
    const { deskRoutes } = await import('@/areas/desk/routes')
    deskRoutes.forEach((route) => router.addRoute(route))
    router.removeRoute('desk-door')
    return to.fullPath
  }
  // Opening the app: the landing page's code and data fly while the session is checked.
  if (!session.checked && typeof to.meta.prefetch === 'function') {
    to.meta.prefetch()
    for (const record of to.matched) {
      const load = record.components?.default
      if (typeof load === 'function' && !('render' in load) && !('setup' in load)) {
        (load as () => Promise<unknown>)().catch(() => { /* the router loads it again */ })
      }
    }
  }
  const user = await restore()
  if (to.meta.public) return to.name === 'login' && user ? homeOf(user) : true
  if (!user) return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  // A first login (or a reset) may do one thing: change the password.
  if (session.mustChangePassword && to.path !== passwordPageOf(user)) return passwordPageOf(user)
  if (to.path === '/') return homeOf(user)
  if (!to.matched.every((r) => mayOpen(r.meta, user))) {
    // Not yours: a desk address shows "not found" where it was typed; elsewhere, your home.
    const hidden = to.matched.map((r) => r.meta.strangers as string | undefined).find(Boolean)
    if (!hidden) return homeOf(user)
    return { name: hidden, params: { rest: to.path.slice(1).split('/') }, query: to.query, hash: to.hash, replace: true }
  }
  return true
})

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title as string} · 客源` : '客源'
})
