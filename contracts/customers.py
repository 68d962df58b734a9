"""Customers: the profile every other part reads."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from contracts.common import EncryptedPhone, Model, Page

SERVICE = "customers"

CUSTOMER_CREATED = "customer.created"


class Stage(StrEnum):
    new = "new"                    # 新线索
    contacted = "contacted"        # 初步沟通
    invited = "invited"            # 邀约到访
    visited = "visited"            # 首次接访
    intent = "intent"              # 意向升级
    subscribed = "subscribed"      # 认筹
    signed = "signed"              # 签约
    invalid = "invalid"            # 无效
    lost = "lost"                  # 流失


STAGE_LABELS = {
    Stage.new: "新线索", Stage.contacted: "初步沟通", Stage.invited: "邀约到访",
    Stage.visited: "首次接访", Stage.intent: "意向升级", Stage.subscribed: "认筹",
    Stage.signed: "签约", Stage.invalid: "无效", Stage.lost: "流失",
}


Grade = Literal["A", "B", "C", "D"]     # 客户等级: A the warmest


class CustomerQuery(Page):
    stage: Stage | None = None
    grade: Grade | None = None
    project_id: UUID | None = None
    owner_id: UUID | None = None
    q: str | None = Field(default=None, max_length=50)
    tag: str | None = Field(default=None, max_length=80, pattern=r"^[^:]*:.+$")  # dim:value
    # Profiles to complete: stored completeness below this percent, least complete first.
    completeness_below: int | None = Field(default=None, ge=1, le=101)
    # Silent customers: no follow-up for at least this many days (one never followed up is
    # counted from the day they arrived), the longest silent first.
    silent_days: int | None = Field(default=None, ge=1, le=3650)
    # These customers only (e.g. the ones a task list points to), comma-separated in a URL.
    ids: list[UUID] | None = Field(default=None, max_length=200)

    @field_validator("ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return [part for part in value.split(",") if part] if isinstance(value, str) else value


class Gender(StrEnum):
    male = "male"
    female = "female"
    unknown = "unknown"


class AgeBand(StrEnum):
    under_25 = "<25"
    from_25 = "25-34"
    from_35 = "35-44"
    from_45 = "45-54"
    over_55 = "55+"


Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class Portrait(Model):
    """The editable profile (PATCH /api/customers/<id>); every field optional."""

    name: Label | None = None
    gender: Gender | None = None
    age_band: AgeBand | None = None
    wechat: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2,
                                             max_length=40)] | None = None
    budget_min: Annotated[int, Field(ge=0, le=100_000_000_000)] | None = None
    budget_max: Annotated[int, Field(ge=0, le=100_000_000_000)] | None = None
    area_min: Annotated[int, Field(ge=1, le=100_000)] | None = None
    area_max: Annotated[int, Field(ge=1, le=100_000)] | None = None
    layouts: list[Label] | None = Field(default=None, max_length=10)
    districts: list[Label] | None = Field(default=None, max_length=10)
    purpose: Literal["self_use", "investment", "school_district", "upgrade"] | None = None
    tags: dict[Label, list[Label]] | None = None     # dimension code → values
    free_tags: list[Label] | None = Field(default=None, max_length=30)


class CustomerPatch(Portrait):
    version: int = Field(ge=1)   # the version you read: a stale one gets 409
    grade: Grade | None = None   # set by a person, it no longer follows the leads' grading


class TagDimension(Model):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,29}$")]
    name: Label
    values: list[Label] = Field(min_length=1, max_length=100)
    multi: bool = True


class CustomerView(BaseModel):
    id: UUID
    company_id: UUID
    project_id: UUID
    name: str
    phone: str
    phone_masked: bool
    owner_id: UUID | None
    stage: Stage
    stage_label: str
    grade: Grade | None = None
    channel: str
    sub_source: str | None = None        # e.g. the live room or the agency of the first lead
    referrer_id: UUID | None = None      # 老带新: the customer who referred this one
    created_at: datetime
    updated_at: datetime
    version: int = 1
    completeness: int = 0            # 客户信息完善率, percent (the project's profile fields)
    missing_required: list[str] = Field(default_factory=list)   # required fields still empty
    # More numbers of the person: {id, label, phone, masked}, masked like `phone`.
    phones: list[dict[str, Any]] = Field(default_factory=list)
    portrait: dict[str, Any] = Field(default_factory=dict)
    tags: dict[str, list[str]] = Field(default_factory=dict)
    free_tags: list[str] = Field(default_factory=list)


class CustomerCreated(BaseModel):
    """Payload of customer.created."""

    customer_id: UUID
    company_id: UUID
    project_id: UUID
    owner_id: UUID | None
    lead_id: UUID
    channel: str
    stage: Stage
    created_at: datetime


CUSTOMER_STAGE_CHANGED = "customer.stage_changed"
FOLLOWUP_LOGGED = "followup.logged"

# The default funnel, in order; invalid and lost are off-ramps from any open stage.
FUNNEL = (Stage.new, Stage.contacted, Stage.invited, Stage.visited, Stage.intent,
          Stage.subscribed, Stage.signed)
OFF_RAMPS = (Stage.invalid, Stage.lost)


class StageMove(Model):
    """POST /api/customers/<id>/stage."""

    stage: Stage
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    deal_amount: Annotated[int, Field(gt=0, le=100_000_000_000)] | None = None   # yuan
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=50)] | None = None


class StageChanged(BaseModel):
    """Payload of customer.stage_changed."""

    customer_id: UUID
    company_id: UUID
    project_id: UUID
    owner_id: UUID | None
    from_stage: Stage
    to_stage: Stage
    seconds_in_previous: int
    actor_id: UUID
    at: datetime
    reason: str | None = None
    deal_amount: int | None = None
    unit: str | None = None


class FollowupType(StrEnum):
    call = "call"          # 电话
    wechat = "wechat"      # 微信
    sms = "sms"            # 短信
    visit = "visit"        # 到访
    viewing = "viewing"    # 带看
    other = "other"


class NewFollowup(Model):
    """POST /api/customers/<id>/followups."""

    type: FollowupType
    content: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                              max_length=2000)]
    outcome: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    next_contact_at: datetime | None = None
    units: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                 max_length=50)]] = Field(default_factory=list,
                                                                          max_length=20)
    client_id: UUID | None = None   # a client's retry key: the same id twice logs once


class FollowupLogged(BaseModel):
    """Payload of followup.logged."""

    followup_id: UUID
    customer_id: UUID
    company_id: UUID
    project_id: UUID
    owner_id: UUID | None
    actor_id: UUID
    type: FollowupType
    at: datetime
    next_contact_at: datetime | None = None


# --- Segments and re-marketing, referrals (老带新) ------------------------------------------

# "dimension:value" of a tag dimension, or ":value" for a free tag.
TagRef = Annotated[str, StringConstraints(strip_whitespace=True, max_length=81,
                                          pattern=r"^(?:[a-z][a-z0-9_]{1,29})?:.{1,50}$")]
Purpose = Literal["self_use", "investment", "school_district", "upgrade"]
MAX_DAYS = 36_500


class TagsMatch(StrEnum):
    any = "any"    # tagged with at least one of the tags
    all = "all"    # tagged with every one of them


class DateRange(Model):
    """A window on one date column. Absolute bounds (after ≤ t < before) and/or bounds relative
    to the moment the segment is evaluated, so a saved "signed more than 2 years ago" keeps
    meaning that: more_than_days_ago=N is t < now − N days, within_days=N is t ≥ now − N
    days. or_never also matches customers without the date (never followed up); alone, it
    matches only those."""

    after: AwareDatetime | None = None
    before: AwareDatetime | None = None
    more_than_days_ago: Annotated[int, Field(ge=0, le=MAX_DAYS)] | None = None
    within_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = None
    or_never: bool = False

    @model_validator(mode="after")
    def _a_window(self) -> DateRange:
        if (self.after, self.before, self.more_than_days_ago, self.within_days) == (None,) * 4 \
                and not self.or_never:
            raise ValueError("give after, before, more_than_days_ago, within_days or or_never")
        if self.after is not None and self.before is not None and self.after >= self.before:
            raise ValueError("after must be earlier than before")
        if self.more_than_days_ago is not None and self.within_days is not None \
                and self.within_days <= self.more_than_days_ago:
            raise ValueError("within_days must exceed more_than_days_ago, or nothing matches")
        return self


class AmountRange(Model):
    """Overlaps the customer's stated range (a customer with only a minimum is open-ended)."""

    min: Annotated[int, Field(ge=0, le=100_000_000_000)] | None = None
    max: Annotated[int, Field(ge=0, le=100_000_000_000)] | None = None

    @model_validator(mode="after")
    def _a_range(self) -> AmountRange:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError("max must not be below min")
        return self


class SegmentFilter(Model):
    """Which customers a segment holds. Every part given must match (AND); a list matches any
    of its values. Always evaluated in the caller's scope, without erased or merged-away
    customers. Example, "owners of phase 1 who focus on education and signed more than 2
    years ago": {"project_ids": [<phase 1>], "tags": ["focus:学区"],
    "signed": {"more_than_days_ago": 730}}."""

    tags: list[TagRef] = Field(default_factory=list, max_length=20)
    tags_match: TagsMatch = TagsMatch.any
    stages: list[Stage] = Field(default_factory=list, max_length=9)
    project_ids: list[UUID] = Field(default_factory=list, max_length=100)
    owner_ids: list[UUID] = Field(default_factory=list, max_length=500)
    created: DateRange | None = None
    signed: DateRange | None = None          # at 签约 now, entered within the window
    stage_entered: DateRange | None = None   # the current stage entered within the window
    last_followup: DateRange | None = None
    purposes: list[Purpose] = Field(default_factory=list, max_length=4)
    districts: list[Label] = Field(default_factory=list, max_length=20)   # any of them
    layouts: list[Label] = Field(default_factory=list, max_length=20)     # any of them
    budget: AmountRange | None = None        # yuan
    area: AmountRange | None = None          # ㎡
    opted_out: bool | None = None            # campaigns skip opted-out customers regardless

    @field_validator("signed")
    @classmethod
    def _signed_among_stages(cls, signed: DateRange | None,
                             info: ValidationInfo) -> DateRange | None:
        stages = info.data.get("stages") or []
        if signed is not None and stages and Stage.signed not in stages:
            raise ValueError("signed asks for signed customers: add signed to stages or "
                             "leave stages out")
        return signed


class NewSegment(Model):
    """POST /api/segments. A segment is immutable: save a new one to change it, so a campaign
    always names the filter it was sent with."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=100)]
    filter: SegmentFilter


class SegmentView(BaseModel):
    id: UUID
    name: str
    filter: dict[str, Any]
    created_by: UUID
    created_at: datetime


class CampaignChannel(StrEnum):
    sms = "sms"
    wechat = "wechat"
    in_app = "in_app"


class NewCampaign(Model):
    """POST /api/campaigns (manager, director or admin)."""

    segment_id: UUID
    channel: CampaignChannel
    message: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                              max_length=1000)]


CAMPAIGN_STARTED = "campaign.started"
CUSTOMER_MARKETING_CHANGED = "customer.marketing_changed"


class MarketingChanged(BaseModel):
    """Payload of customer.marketing_changed: the customer opted out of marketing (or back
    in). On an opt-out the notification service drops what it still has queued for them and
    sends them nothing of a campaign read before; `at` orders changes that overtake each
    other."""

    customer_id: UUID
    company_id: UUID
    opted_out: bool
    at: datetime


class CampaignStarted(BaseModel):
    """Payload of campaign.started: the count and the segment, not the recipients.

    A segment can hold hundreds of thousands of customers: too many for one event. The
    notification service pages through `customers.campaign_recipients(token, campaign_id,
    after)`, which resolves the segment in the starter's scope, never returns an opted-out
    customer (also one who opted out after the start) nor one created after the start, and
    gives each recipient their signed opt-out link."""

    campaign_id: UUID
    company_id: UUID
    segment_id: UUID
    channel: CampaignChannel
    message: str
    recipients: int
    skipped_opted_out: int
    started_by: UUID
    started_at: datetime


class CampaignView(BaseModel):
    id: UUID
    segment_id: UUID
    channel: CampaignChannel
    message: str
    status: str
    recipients: int
    skipped_opted_out: int
    created_by: UUID
    created_at: datetime
    # Delivery, as the notification service reports it (status started → delivering →
    # delivered).
    delivered: int = 0
    failed: int = 0
    not_sent: int = 0
    finished_at: datetime | None = None


class ConsentChannel(StrEnum):
    paper = "paper"
    wechat = "wechat"
    sms = "sms"
    app = "app"
    phone = "phone"


class MarketingOptOut(Model):
    """POST /api/customers/<id>/marketing-opt-out: staff recording the customer's request."""

    opt_out: bool
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    channel: ConsentChannel = ConsentChannel.phone    # how the customer asked


class ReferrerChange(Model):
    """PUT /api/customers/<id>/referrer; null removes the referral."""

    referrer_id: UUID | None


class ReferralReward(StrEnum):
    """The referrer's reward for one referred customer, following that customer's stage."""

    none = "none"          # referred, not yet visited
    pending = "pending"    # visited (首次接访) and on
    earned = "earned"      # signed (签约)
    void = "void"          # invalid or lost (退房 included)


# --- Privacy (PIPL): consents, audited exports, data-subject requests, merges --------------

PERSON_ERASED = "person.erased"
CUSTOMER_MERGED = "customer.merged"
CUSTOMER_PHONE_ADDED = "customer.phone_added"
CUSTOMER_PHONE_REMOVED = "customer.phone_removed"

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=500)]


class ConsentPurpose(StrEnum):
    marketing = "marketing"                        # 营销推送 (Art. 24: withdrawing opts out)
    data_processing = "data_processing"            # 个人信息处理
    sharing_with_agent = "sharing_with_agent"      # 向渠道经纪人提供


class NewConsent(Model):
    """POST /api/customers/<id>/consents: what the customer agreed to (or withdrew), how."""

    purpose: ConsentPurpose
    granted: bool = Field(strict=True)
    channel: ConsentChannel
    evidence: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=500)] | None = None


class ExportQuery(Model):
    """POST /api/customers/export (manager, director, admin): the same filters as the list,
    up to `limit` rows, and why (the audit keeps it)."""

    reason: Reason
    stage: Stage | None = None
    project_id: UUID | None = None
    owner_id: UUID | None = None
    q: str | None = Field(default=None, max_length=50)
    tag: str | None = Field(default=None, max_length=80, pattern=r"^[^:]*:.+$")
    limit: int = Field(default=1000, ge=1, le=10_000)


class SubjectRequest(Model):
    """POST /api/privacy/requests: PIPL Art. 45 (export: a copy of everything held on the
    person) or Art. 47 (erase). The person is named by a phone or a customer id."""

    kind: Literal["export", "erase"]
    reason: Reason
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3,
                                            max_length=32)] | None = None
    customer_id: UUID | None = None


class AuditAction(StrEnum):
    """What the privacy audit (pii_audit) records."""

    reveal_phone = "reveal_phone"    # 查看号码
    export = "export"                # 导出客户
    dsar_export = "dsar_export"      # 个人信息请求：导出
    dsar_erase = "dsar_erase"        # 个人信息请求：删除


class AuditQuery(Page):
    """GET /api/privacy/audit (admin or the privacy scope): who saw or exported whose data,
    newest first. Dates are business days (Asia/Shanghai), both included."""

    action: AuditAction | None = None
    actor_id: UUID | None = None
    customer_id: UUID | None = None
    from_date: date | None = None
    to_date: date | None = None


class SubjectRequestQuery(Page):
    """GET /api/privacy/requests: past data-subject requests, newest first."""

    kind: Literal["export", "erase"] | None = None


class PersonQuery(Model):
    """What a service is asked about one person: their customer records and phone indexes."""

    customer_ids: list[UUID] = Field(default_factory=list, max_length=1000)
    phone_indexes: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = \
        Field(default_factory=list, max_length=1000)


class PersonErased(BaseModel):
    """Payload of person.erased: remove or anonymise everything about this person, keep
    aggregates. The customers service scrubs `phone_indexes` and `names` from its outbox once
    the event is out, so they do not outlive the delivery."""

    request_id: UUID
    company_id: UUID
    customer_ids: list[UUID]
    phone_indexes: list[str]
    names: list[str] = Field(default_factory=list)
    at: datetime


class MergeRequest(Model):
    """POST /api/customers/merges (manager, director, admin, both customers in scope)."""

    survivor_id: UUID
    merged_id: UUID
    reason: Reason


class CustomerMerged(BaseModel):
    """Payload of customer.merged: the merged record lives on in the survivor."""

    merge_id: UUID
    company_id: UUID
    survivor_id: UUID
    merged_id: UUID
    survivor_owner_id: UUID | None
    survivor_project_id: UUID
    actor_id: UUID
    at: datetime


StageName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                            max_length=12)]


class FunnelConfig(Model):
    """A project's funnel: which of the standard stages it uses, in order (a project that
    sells without subscription drops 认筹). Starts at new, ends at signed; invalid and lost
    stay available as off-ramps everywhere."""

    stages: list[Stage] = Field(min_length=2, max_length=7)
    # The project's own name for a stage (e.g. signed → 网签); stages left out keep the
    # standard label. Names are unique within the funnel.
    labels: dict[Stage, StageName] = Field(default_factory=dict)


# --- Profile completeness (客户信息完善率) -------------------------------------------------

# What a project may require or count: these profile fields, or one tag dimension by its
# code (`tag:focus`). budget/area count when either end of the range is filled.
PROFILE_FIELDS = ("name", "phone", "gender", "age_band", "wechat", "budget", "area", "layouts",
                  "districts", "purpose", "tags", "free_tags")
# Without a project setting: the weighting managers have ranked by so far.
DEFAULT_REQUIRED = ("budget", "layouts", "purpose")
DEFAULT_OPTIONAL = ("name", "phone", "gender", "age_band", "wechat", "area", "districts", "tags")
ProfileField = Annotated[str, StringConstraints(
    strip_whitespace=True,
    pattern=r"^(" + "|".join(PROFILE_FIELDS) + r"|tag:[a-z][a-z0-9_]{1,29})$")]


class ProfileFields(Model):
    """GET|PUT /api/projects/<id>/profile-fields: what the project requires of a customer
    profile and what it counts as optional. Completeness = filled weight / total weight, a
    required field weighing 2 and an optional one 1; a required field still empty is listed
    in the customer's `missing_required`."""

    required: list[ProfileField] = Field(default_factory=lambda: list(DEFAULT_REQUIRED),
                                         max_length=40)
    optional: list[ProfileField] = Field(default_factory=lambda: list(DEFAULT_OPTIONAL),
                                         max_length=40)


class CompletenessQuery(Model):
    """GET /api/customers/completeness: the ranking of consultants by their customers'
    profile completeness, in the caller's scope."""

    project_id: UUID | None = None


# --- More than one phone (a spouse's, a second SIM) -----------------------------------------

PhoneLabel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                              max_length=20)]


class NewPhone(Model):
    """POST /api/customers/<id>/phones: another number of the same person."""

    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3,
                                            max_length=32)]
    label: PhoneLabel | None = None     # e.g. 配偶, 工作


class PhoneAdded(BaseModel):
    """Payload of customer.phone_added: this number leads to this customer too (the leads
    service dedupes new leads on it)."""

    phone_id: UUID
    customer_id: UUID
    company_id: UUID
    phone: EncryptedPhone
    at: datetime


class PhoneRemoved(BaseModel):
    """Payload of customer.phone_removed: the number no longer leads to the customer."""

    phone_id: UUID
    customer_id: UUID
    company_id: UUID
    phone_index: str
    at: datetime
