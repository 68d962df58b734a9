import pytest

from contracts.errors import ValidationFailed
from kit.storage import LocalDiskStorage, check_upload

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64


def test_images_and_pdfs_are_recognised_by_their_bytes():
    assert check_upload(PNG, "image/png")[0] == "image/png"
    assert check_upload(PDF, None)[0] == "application/pdf"
    assert check_upload(PNG, "application/octet-stream")[0] == "image/png"


@pytest.mark.parametrize(("data", "declared"), [
    (b"MZ\x90\x00" + b"\x00" * 60, "image/png"),     # a Windows program dressed as a photo
    (PDF, "image/jpeg"),                               # the name or type lies
    (b"", "image/png"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (10 * 1024 * 1024), "image/png"),
])
def test_anything_else_is_refused_naming_the_file_field(data, declared):
    with pytest.raises(ValidationFailed) as refused:
        check_upload(data, declared)
    assert refused.value.field == "file"


def test_local_disk_keeps_files_and_refuses_paths_out_of_its_root(tmp_path):
    disk = LocalDiskStorage(tmp_path)
    disk.put("company/customer/file-1", PNG)
    assert disk.get("company/customer/file-1") == PNG
    for bad in ("../etc/passwd", "/etc/passwd", "a/../../b", "UPPER"):
        with pytest.raises(ValueError):
            disk.put(bad, PNG)
