"""Notifications of the tasks service: one notifier for the SOP engine's reminders, overdue
alerts, escalations, no-follow-up and recycling warnings.

Call `notify(session, notice)` inside the transaction that makes the change; it

- records the notice in the recipient's in-app inbox (`GET /api/notifications`), and
- queues one delivery per external channel the company routes this kind of notice to
  (WeCom group robot, DingTalk group robot, SMS), all in the caller's session. Nothing is
  sent and nothing blocks here: the caller commits, and the `deliver_notifications` timer
  sends the deliveries, retrying with exponential backoff (see `sender`).

The notice's `dedupe_key` makes it idempotent: the same key for the same company and
recipient is recorded and delivered once, so two replicas or a redelivered event never
notify twice (notify() then returns None). Give every occurrence its own key, e.g. the task
and the escalation level; notices to several people (owner and manager) each have their own
recipient, so they may share the key.

Example, in an SOP timer or event handler of TasksService::

    from contracts.tasks import NoticeKind
    from services.tasks.notify import Notice, notify

    notify(session, Notice(
        company_id=task.company_id, recipient_id=task.owner_id,
        kind=NoticeKind.task_overdue, title=f"任务已逾期：{task.title}",
        body="请尽快联系客户并记录跟进", link=f"/tasks/{task.id}",
        dedupe_key=f"task_overdue:{task.id}"))
    session.commit()   # the caller's commit records the notice and its deliveries

`company_settings_loader` (keyword) replaces how the company's routes are read, e.g. a
loader that caches them for a sweep over thousands of tasks: any callable
`(session, company_id) -> Routing`; the default `load_routing` reads them from the
`notification_settings` table. A company without settings gets the inbox only.

Which channels each kind goes to is the company's setting (`configure_notifications`,
admin): e.g. task_overdue → inbox + wecom; escalation → inbox + dingtalk + sms. SMS goes to
the recipient's phone from the SMS channel's `phones` (user id → number; directory users
have no phone): without one the SMS delivery is recorded as skipped, with the reason.

Campaigns (`campaigns`, `campaign_entrypoints`, rules in `campaign_rules`): the customers
service's `campaign.started` records a `campaigns` row (idempotent: the inbox, and the
campaign id as key). The `expand_campaigns` timer leases due campaigns (SKIP LOCKED, then
committed: no row lock is held during the RPC), asks `customers.campaign_recipients` for
the next page with an integration token it mints (the company's `system` user,
`campaign_rules.notifier_id`, a directory user like any other), and
records one `campaign_deliveries` row per recipient (unique per campaign and customer) and
the cursor, in one transaction that first checks the cursor is still the one it read; a
failed call is asked again with the notifications' backoff (NotFound, Forbidden or
ValidationFailed end the reading). Channel `sms`: the `send_campaign_messages` timer posts
one SMS per customer to the company's SMS channel (template `templates["campaign"]`,
params `message` and `opt_out_link`), the phone opened from its ciphertext only to build
the request, retried like any delivery; no SMS channel: `not_sent` with the reason.
Channels `wechat` and `in_app` reach no customer directly: once every page is read, each
owning consultant gets one `campaign_forward` notice through notify() naming their
customers, who count as delivered; pool customers are `not_sent` (公海客户无归属顾问).
Every page read and every batch that changes the counts emits `campaign.delivery_progress`
through the outbox, its revision growing under the campaign's row lock.
"""

from services.tasks.notify.domain import Routing
from services.tasks.notify.notifier import Notice, Queued, load_routing, notify

__all__ = ["Notice", "Queued", "Routing", "load_routing", "notify"]
