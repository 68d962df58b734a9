// The desk (1440 px first, usable on a phone): managers' and directors' team work, and the
// administration of users, teams and projects; router.ts adds these on the first visit.
// Someone else typing one of these addresses sees "not found" (`strangers`), as the API
// would answer them.
import type { RouteRecordRaw } from 'vue-router'
import { ADMIN_ONLY, ADMINISTRATORS, DESK, mayAudit } from '@/lib/roles'

const deskLayout = () => import('@/areas/desk/DeskLayout.vue')

const desk: RouteRecordRaw = {
  path: '/desk',
  component: deskLayout,
  meta: { roles: DESK, strangers: 'missing' },
  children: [
    { path: '', redirect: { name: 'desk-customers' } },
    { path: 'customers', name: 'desk-customers', component: () => import('@/areas/desk/TeamCustomersPage.vue'), meta: { title: '团队客户' } },
    { path: 'tasks', name: 'desk-tasks', component: () => import('@/areas/desk/TeamTasksPage.vue'), meta: { title: '团队任务' } },
    { path: 'pool', name: 'desk-pool', component: () => import('@/areas/desk/PoolAssignPage.vue'), meta: { title: '公海分配' } },
    { path: 'completeness', name: 'desk-completeness', component: () => import('@/areas/desk/CompletenessPage.vue'), meta: { title: '信息完善率' } },
    { path: 'lead-rules', name: 'desk-lead-rules', component: () => import('@/areas/desk/settings/LeadRulesPage.vue'), meta: { title: '线索规则' } },
    { path: 'sop', name: 'desk-sop', component: () => import('@/areas/desk/settings/SopPage.vue'), meta: { title: 'SOP 模板' } },
    { path: 'funnel', name: 'desk-funnel', component: () => import('@/areas/desk/settings/FunnelFieldsPage.vue'), meta: { title: '阶段与字段' } },
    { path: 'reception', name: 'desk-reception', component: () => import('@/areas/desk/reception/ReceptionLinePage.vue'), meta: { title: '接待轮岗' } },
    { path: 'departures', name: 'desk-departures', component: () => import('@/areas/desk/DeparturesPage.vue'), meta: { title: '离职交接' } },
    { path: 'imports', name: 'desk-imports', component: () => import('@/areas/desk/growth/ImportPage.vue'), meta: { title: '导入客户' } },
    { path: 'segments', name: 'desk-segments', component: () => import('@/areas/desk/growth/SegmentsPage.vue'), meta: { title: '客群与活动' } },
  ],
}

const admin: RouteRecordRaw = {
  path: '/admin',
  component: deskLayout,
  meta: { roles: ADMINISTRATORS, strangers: 'missing' },
  children: [
    { path: '', redirect: { name: 'admin-users' } },
    { path: 'users', name: 'admin-users', component: () => import('@/areas/admin/UsersPage.vue'), meta: { title: '用户管理' } },
    { path: 'teams', name: 'admin-teams', component: () => import('@/areas/admin/TeamsPage.vue'), meta: { title: '团队管理' } },
    { path: 'projects', name: 'admin-projects', component: () => import('@/areas/admin/ProjectsPage.vue'), meta: { title: '项目管理' } },
    { path: 'channels', name: 'admin-channels', component: () => import('@/areas/admin/ChannelsPage.vue'), meta: { title: '渠道', roles: ADMIN_ONLY } },
    { path: 'notifications', name: 'admin-notifications', component: () => import('@/areas/admin/NotificationsPage.vue'), meta: { title: '通知', roles: ADMIN_ONLY } },
    { path: 'privacy', name: 'admin-privacy', component: () => import('@/areas/admin/PrivacyPage.vue'), meta: { title: '隐私与审计', may: mayAudit } },
  ],
}

export const deskRoutes = [desk, admin]
