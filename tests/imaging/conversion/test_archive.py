"""extract_archive: what comes out, what is skipped, and what is refused."""

from __future__ import annotations

import stat
import zipfile

import pytest

import apps.imaging.conversion.archive as archive_module
from apps.imaging.conversion.archive import extract_archive
from apps.imaging.conversion.sniff import sniff
from apps.imaging.conversion.types import ImageKind, IngestLimits, RejectedFile

from .helpers import T1_SERIES, need, pydicom_file

CT = pydicom_file("CT_small.dcm").read_bytes()


def _zip(path, members: dict[str, bytes], symlinks: tuple[str, ...] = ()):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in symlinks:
                info.create_system = 3
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, data)
    return path


def test_images_are_extracted_and_export_clutter_is_skipped_with_reasons(tmp_path, limits):
    upload = _zip(tmp_path / "export.zip", {
        "study/series1/IM0001": CT,
        "study/series1/IM0002.dcm": CT,
        "study/README": b"Exported by a PACS.\n",
        "study/notes.txt": b"slice 3 is blurred\n",
        "study/report.pdf": b"%PDF-1.4 ...",
        "study/DICOMDIR": b"\x00" * 200,
        "__MACOSX/study/._IM0001": b"\x00\x05\x16\x07",
        "study/.DS_Store": b"Bud1\x00\x00",
        "study/inner.zip": b"PK\x03\x04 nested",
        "study/unnamed_text": b"just a note without an extension\n",
        "study/empty/": b"",
    })
    dest = tmp_path / "out"
    dest.mkdir()
    result = extract_archive(upload, dest, limits, "export.zip")
    assert [name for name, _ in result] == ["study/series1/IM0001", "study/series1/IM0002.dcm"]
    for _name, path in result:
        assert path.parent == dest.resolve() and path.read_bytes() == CT
        assert sniff(path, path.name) == ImageKind.DICOM
    skipped = dict(result.skipped)
    assert set(skipped) == {"study/README", "study/notes.txt", "study/report.pdf", "study/DICOMDIR",
                            "__MACOSX/study/._IM0001", "study/.DS_Store", "study/inner.zip",
                            "study/unnamed_text", "study/empty/"}
    assert "text" in skipped["study/notes.txt"] and "archive" in skipped["study/inner.zip"]
    assert sorted(p.name for p in dest.iterdir()) == sorted(p.name for _n, p in result)


def test_a_text_file_named_like_an_image_is_extracted_so_inspect_can_reject_it(tmp_path, limits):
    upload = _zip(tmp_path / "a.zip", {"fake.dcm": b"this is text\n"})
    result = extract_archive(upload, tmp_path, limits, "a.zip")
    assert [name for name, _ in result] == ["fake.dcm"]


@pytest.mark.shared_data
def test_the_t1_series_folder_zipped_yields_its_slices_and_skips_its_two_text_files(tmp_path, limits):
    folder = need(T1_SERIES)
    chosen = [*sorted(folder.glob("*.dcm"))[:5], folder / "SOURCE_README.md", folder / "notes.txt"]
    upload = _zip(tmp_path / "t1.zip", {f"t1/{p.name}": p.read_bytes() for p in chosen})
    dest = tmp_path / "out"
    dest.mkdir()
    result = extract_archive(upload, dest, limits, "t1.zip")
    assert len(result) == 5
    assert {name for name, _reason in result.skipped} == {"t1/SOURCE_README.md", "t1/notes.txt"}


@pytest.mark.parametrize(
    ("member", "problem"),
    [
        ("../evil.dcm", ".."),
        ("series/../../evil.dcm", ".."),
        ("..\\..\\evil.dcm", ".."),
        ("/etc/cron.d/evil", "absolute"),
        ("\\windows\\evil.dcm", "absolute"),
        ("C:/Windows/evil.dcm", "drive letter"),
        ("C:evil.dcm", "drive letter"),
        ("/".join(["d"] * 40) + "/x.dcm", "nested"),
    ],
)
def test_unsafe_member_names_refuse_the_whole_archive_and_write_nothing(tmp_path, limits, member, problem):
    upload = _zip(tmp_path / "evil.zip", {"ok.dcm": CT, member: CT})
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(RejectedFile) as caught:
        extract_archive(upload, dest, limits, "evil.zip")
    assert caught.value.code == "unsafe_archive_member"
    assert problem in caught.value.message
    assert list(dest.iterdir()) == []
    assert not (tmp_path / "evil.dcm").exists()


def test_a_symlink_member_refuses_the_archive(tmp_path, limits):
    upload = _zip(tmp_path / "link.zip", {"ok.dcm": CT, "passwd.dcm": b"/etc/passwd"},
                  symlinks=("passwd.dcm",))
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(RejectedFile) as caught:
        extract_archive(upload, dest, limits, "link.zip")
    assert caught.value.code == "unsafe_archive_member"
    assert "symbolic link" in caught.value.message
    assert list(dest.iterdir()) == []


def test_too_many_members_refuse_the_archive(tmp_path):
    upload = _zip(tmp_path / "many.zip", {f"IM{i:04d}": CT[:200] for i in range(21)})
    with pytest.raises(RejectedFile) as caught:
        extract_archive(upload, tmp_path, IngestLimits(max_archive_members=20), "many.zip")
    assert caught.value.code == "too_many_members"


def test_a_member_declaring_more_than_the_per_file_limit_is_refused(tmp_path):
    upload = _zip(tmp_path / "big.zip", {"zeros.dcm": b"\x00" * (2 * 1024 * 1024)})
    assert upload.stat().st_size < 20 * 1024
    with pytest.raises(RejectedFile) as caught:
        extract_archive(upload, tmp_path, IngestLimits(max_decompressed_bytes=1024 * 1024), "big.zip")
    assert caught.value.code == "archive_too_large"


def test_members_together_beyond_the_total_limit_are_refused(tmp_path):
    upload = _zip(tmp_path / "total.zip", {f"z{i}.dcm": b"\x00" * (512 * 1024) for i in range(5)})
    with pytest.raises(RejectedFile) as caught:
        extract_archive(upload, tmp_path, IngestLimits(max_archive_total_bytes=2 * 1024 * 1024), "total.zip")
    assert caught.value.code == "archive_too_large"


@pytest.mark.parametrize(
    ("limits", "member_sizes"),
    [(IngestLimits(max_decompressed_bytes=1024 * 1024), [2 * 1024 * 1024]),
     (IngestLimits(max_archive_total_bytes=1024 * 1024), [600 * 1024, 600 * 1024])],
)
def test_bytes_are_counted_while_writing_even_if_declared_sizes_lie(tmp_path, monkeypatch, limits,
                                                                    member_sizes):
    upload = _zip(tmp_path / "liar.zip", {f"m{i}.dcm": b"\x01" * size for i, size in enumerate(member_sizes)})
    monkeypatch.setattr(archive_module, "_check_members", lambda *args: None)  # as if every size lied
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(RejectedFile) as caught:
        extract_archive(upload, dest, limits, "liar.zip")
    assert caught.value.code == "archive_too_large"
    assert list(dest.iterdir()) == []  # partial output removed


def test_a_damaged_zip_is_refused_as_unreadable(tmp_path, limits):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(RejectedFile) as caught:
        extract_archive(path, tmp_path, limits, "broken.zip")
    assert caught.value.code == "unreadable_archive"


def test_an_encrypted_member_is_refused(tmp_path, limits):
    upload = _zip(tmp_path / "secret.zip", {"a.dcm": CT})
    data = bytearray(upload.read_bytes())
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 0x01  # general purpose flag: encrypted
    data[6] |= 0x01
    upload.write_bytes(bytes(data))
    with pytest.raises(RejectedFile) as caught:
        extract_archive(upload, tmp_path, limits, "secret.zip")
    assert caught.value.code == "unreadable_archive" and "encrypted" in caught.value.message
