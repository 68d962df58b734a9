"""Follow-up attachments: photos of a viewing, a signed form. Content checked by its bytes,
kept through a Storage backend, read back only within the customer's scope."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select

from contracts.errors import NotFound, ValidationFailed, parse_id
from kit import clock, storage
from kit.dependency import Provides
from kit.service import rpc
from services.customers import store
from services.customers.access import CustomersBase

if TYPE_CHECKING:
    from nameko.containers import WorkerContext


class FileStore(Provides[storage.Storage]):
    """The Storage backend for this service process (local disk by default)."""

    def setup(self) -> None:
        settings = self.container.config["KEYUAN_SETTINGS"]
        self.storage = storage.LocalDiskStorage(settings.storage_dir)

    def get_dependency(self, worker_ctx: WorkerContext) -> storage.Storage:
        return self.storage


def _view(row: store.Attachment) -> dict:
    return {"id": str(row.id), "customer_id": str(row.customer_id),
            "followup_id": str(row.followup_id) if row.followup_id else None,
            "filename": row.filename, "content_type": row.content_type, "size": row.size,
            "sha256": row.sha256, "uploaded_by": str(row.uploaded_by),
            "at": row.at.isoformat()}


class Attachments(CustomersBase):
    """Mixin of CustomersService."""

    files = FileStore()

    @rpc
    def attach(self, token: str, customer_id: str, upload: dict) -> dict:
        actor, customer = self._workable(token, customer_id)
        filename = str(upload.get("filename") or "").strip()[:200]
        if not filename:
            raise ValidationFailed("the file needs a name", "filename")
        try:
            data = base64.b64decode(upload.get("content_b64") or "", validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed("content_b64 is not base64", "file") from None
        content_type, digest = storage.check_upload(data, upload.get("content_type"))
        followup_id = None
        if upload.get("followup_id"):
            followup_id = parse_id(upload["followup_id"], "followup_id")
            followup = self.db.get(store.Followup, followup_id)
            if followup is None or followup.customer_id != customer.id:
                raise ValidationFailed("no such follow-up of this customer", "followup_id")
        attachment_id = uuid.uuid4()
        key = f"{customer.company_id}/{customer.id}/{attachment_id}".lower()
        self.files.put(key, data)
        row = store.Attachment(
            id=attachment_id, company_id=customer.company_id, customer_id=customer.id,
            followup_id=followup_id, filename=filename, content_type=content_type,
            size=len(data), sha256=digest, storage_key=key, uploaded_by=actor.user_id,
            at=clock.now())
        self.db.add(row)
        self.db.commit()
        return _view(row)

    @rpc
    def attachments(self, token: str, customer_id: str) -> dict:
        actor = self.keys.actor(token)
        customer = self._visible(actor, customer_id)
        rows = self.db.scalars(select(store.Attachment).where(
            store.Attachment.customer_id == customer.id).order_by(store.Attachment.at))
        return {"items": [_view(r) for r in rows]}

    @rpc
    def attachment(self, token: str, attachment_id: str) -> dict:
        actor = self.keys.actor(token)
        wanted = parse_id(attachment_id, "attachment_id")
        row = self.db.get(store.Attachment, wanted)
        if row is None:
            raise NotFound("no such attachment", "attachment_id")
        self._visible(actor, row.customer_id)  # NotFound outside the customer's scope
        return _view(row) | {"content_b64": base64.b64encode(
            self.files.get(row.storage_key)).decode()}
