import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

from contracts.actor import Actor, Role
from services.customers import domain

OWNER, COMPANY = uuid.uuid4(), uuid.uuid4()


def customer():
    now = datetime.now(UTC)
    return SimpleNamespace(id=uuid.uuid4(), company_id=COMPANY, project_id=uuid.uuid4(),
                           name="张三", phone_enc="sealed", phone_masked="138****8000",
                           owner_id=OWNER, stage="new", channel="douyin", created_at=now,
                           updated_at=now, version=1, completeness=0, portrait={})


def viewer(user, role=Role.consultant, scopes=()):
    return Actor(user_id=user, company_id=COMPANY, role=role, scopes=scopes)


def test_the_owner_sees_the_full_number():
    view = domain.view(customer(), viewer(OWNER), lambda _: "+8613800138000")
    assert view.phone == "13800138000" and not view.phone_masked
    assert view.stage_label == "新线索"


def test_everyone_else_sees_it_masked_even_an_admin():
    admin = viewer(uuid.uuid4(), Role.admin, ("pii:reveal",))
    view = domain.view(customer(), admin, lambda _: "+8613800138000")
    assert view.phone == "138****8000" and view.phone_masked


def test_reveal_needs_ownership_or_the_pii_scope():
    assert domain.may_reveal(viewer(OWNER), OWNER)
    assert domain.may_reveal(viewer(uuid.uuid4(), Role.director, ("pii:reveal",)), OWNER)
    assert not domain.may_reveal(viewer(uuid.uuid4(), Role.manager), OWNER)


def test_a_grade_follows_the_warmest_lead_unless_a_person_set_it():
    from services.customers.domain import GRADED_BY_LEAD, GRADED_BY_PERSON, grade_after_lead
    assert grade_after_lead(None, None, "C") == "C"
    assert grade_after_lead("C", GRADED_BY_LEAD, "B") == "B"
    assert grade_after_lead("B", GRADED_BY_LEAD, "C") is None
    assert grade_after_lead("B", GRADED_BY_LEAD, "B") is None
    assert grade_after_lead("D", GRADED_BY_PERSON, "A") is None
    assert grade_after_lead("B", GRADED_BY_LEAD, None) is None
