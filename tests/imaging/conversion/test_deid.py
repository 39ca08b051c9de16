"""De-identification (PS3.15 Basic Profile) of real DICOM files: nothing that
identifies the patient or the original instances survives in the stored bytes,
pixels are untouched, UIDs are consistent and stable, and files whose pixels
may show identity are held for review. No Django, no database."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import UID

from apps.imaging.conversion.deid import (
    METHOD,
    DeidResult,
    deidentify_dicom,
    map_uid,
    profile_action,
    uid_secret_from_env,
)
from apps.imaging.conversion.types import RejectedFile

REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED = Path(os.environ.get("RADCASE_SHARED_DIR", REPO_ROOT.parent / "shared"))
T1_SERIES = SHARED / "samples" / "dicom" / "brain_t1_mprage_series_trio_b17"
SECRET = "site-secret-for-tests"
PSEUDONYM = "RC-CASE-0042"


def pydicom_test_file(name: str) -> Path:
    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.skip(f"pydicom test file {name} is not in the installed wheel")
    return Path(path)


def t1_files() -> list[Path]:
    if not T1_SERIES.is_dir():
        pytest.skip(f"shared sample series not found at {T1_SERIES} (set RADCASE_SHARED_DIR)")
    return sorted(p for p in T1_SERIES.iterdir() if p.suffix.lower() == ".dcm")


def copy_of(name: str, tmp_path: Path, edit=None) -> Path:
    """A private copy of a pydicom test file, optionally edited."""
    ds = pydicom.dcmread(pydicom_test_file(name))
    if edit is not None:
        edit(ds)
    path = tmp_path / f"in-{name}"
    ds.save_as(path)
    return path


def instance_uids(ds: Dataset) -> set[str]:
    """Every UID value in the data set (any depth) that the profile says to replace."""
    found: set[str] = set()

    def collect(dataset, element):
        if element.VR == "UI" and profile_action(element.tag) in ("U", "D") and element.value:
            values = element.value if element.VM > 1 else [element.value]
            found.update(str(v) for v in values)

    ds.walk(collect)
    return found


@pytest.fixture(scope="module")
def t1_deidentified(tmp_path_factory) -> list[tuple[Path, Path, DeidResult]]:
    """Every file of the real T1 series de-identified once, as (original, stored, result)."""
    out = tmp_path_factory.mktemp("deid-t1")
    done = []
    for src in t1_files():
        dst = out / src.name
        done.append((src, dst, deidentify_dicom(src, dst, pseudonym=PSEUDONYM, uid_secret=SECRET)))
    return done


@pytest.mark.shared_data
def test_no_original_name_id_birth_date_or_instance_uid_appears_anywhere_in_the_stored_bytes(t1_deidentified):
    assert len(t1_deidentified) == 176
    for src, dst, _ in t1_deidentified:
        original = pydicom.dcmread(src)
        secrets = {str(original.PatientName), original.PatientID, original.PatientBirthDate,
                   original.StudyInstanceUID, original.SeriesInstanceUID, original.SOPInstanceUID,
                   original.FrameOfReferenceUID, original.InstitutionName, original.DeviceSerialNumber}
        secrets |= instance_uids(original)  # e.g. Referenced SOP Instance UIDs inside sequences
        stored = dst.read_bytes()
        leaked = sorted(value for value in secrets if value and value.encode("ascii") in stored)
        assert leaked == [], f"{dst.name} still holds {leaked}"


@pytest.mark.shared_data
def test_pixel_data_of_the_series_is_byte_for_byte_unchanged(t1_deidentified):
    for src, dst, _ in t1_deidentified:
        assert pydicom.dcmread(dst).PixelData == pydicom.dcmread(src).PixelData


@pytest.mark.shared_data
def test_the_series_gets_one_new_study_uid_one_new_series_uid_and_distinct_sop_uids(t1_deidentified):
    results = [result for _, _, result in t1_deidentified]
    stored = [pydicom.dcmread(dst) for _, dst, _ in t1_deidentified]
    assert len({r.study_instance_uid for r in results}) == 1
    assert len({r.series_instance_uid for r in results}) == 1
    assert len({r.frame_of_reference_uid for r in results}) == 1
    assert len({r.sop_instance_uid for r in results}) == len(results)
    for result, ds in zip(results, stored, strict=True):
        assert ds.StudyInstanceUID == result.study_instance_uid
        assert ds.SOPInstanceUID == ds.file_meta.MediaStorageSOPInstanceUID == result.sop_instance_uid
        assert result.study_instance_uid.startswith("2.25.")
        assert not result.held_for_review


@pytest.mark.shared_data
def test_uids_inside_sequences_are_mapped_the_same_way_as_top_level_uids(t1_deidentified):
    src, dst, _ = t1_deidentified[0]
    original, stored = pydicom.dcmread(src), pydicom.dcmread(dst)
    before = [item.ReferencedSOPInstanceUID for item in original.ReferencedImageSequence]
    after = [item.ReferencedSOPInstanceUID for item in stored.ReferencedImageSequence]
    assert after == [map_uid(uid, SECRET) for uid in before]
    assert [i.ReferencedSOPClassUID for i in stored.ReferencedImageSequence] == [
        i.ReferencedSOPClassUID for i in original.ReferencedImageSequence]


@pytest.mark.shared_data
def test_a_second_run_with_the_same_secret_gives_the_same_uids_and_another_secret_does_not(
        t1_deidentified, tmp_path):
    for src, _, first in t1_deidentified[:3]:
        again = deidentify_dicom(src, tmp_path / "again.dcm", pseudonym=PSEUDONYM, uid_secret=SECRET)
        other = deidentify_dicom(src, tmp_path / "other.dcm", pseudonym=PSEUDONYM, uid_secret="another site")
        assert (again.study_instance_uid, again.series_instance_uid, again.sop_instance_uid) == (
            first.study_instance_uid, first.series_instance_uid, first.sop_instance_uid)
        assert other.study_instance_uid != first.study_instance_uid
        assert other.sop_instance_uid != first.sop_instance_uid


@pytest.mark.shared_data
def test_the_stored_file_records_identity_removed_the_method_and_the_pseudonym(t1_deidentified):
    _, dst, result = t1_deidentified[0]
    raw = dst.read_bytes()
    assert raw[:128] == bytes(128) and raw[128:132] == b"DICM"
    ds = pydicom.dcmread(dst)
    assert ds.PatientIdentityRemoved == "YES"
    assert ds.PatientName == PSEUDONYM and ds.PatientID == PSEUDONYM
    assert ds.DeidentificationMethod == METHOD == result.method
    assert "PS3.15" in METHOD and "dicom-anonymizer" in METHOD
    code = ds.DeidentificationMethodCodeSequence[0]
    assert (code.CodeValue, code.CodingSchemeDesignator) == ("113100", "DCM")
    assert ds.PatientBirthDate == ""  # Z in Table E.1-1
    assert "PatientAge" not in ds and "InstitutionAddress" not in ds  # X
    assert ds.Modality == "MR" and ds.Rows == 256  # kept


@pytest.mark.shared_data
def test_private_tags_of_a_real_siemens_file_are_removed(t1_deidentified):
    src, dst, result = t1_deidentified[0]
    assert any(e.tag.is_private for e in pydicom.dcmread(src))
    assert result.private_elements_removed > 0
    assert not any(e.tag.is_private for e in pydicom.dcmread(dst))


def test_private_tags_overlays_and_curves_are_removed_at_every_level(tmp_path):
    def add_curve_and_nested_private(ds):
        ds.add_new(0x50000010, "US", 2)  # curve dimensions
        ds.add_new(0x50003000, "OB", b"\x01\x02")  # curve data
        item = Dataset()
        item.add_new(0x00090010, "LO", "ACME PRIVATE")
        item.add_new(0x00091001, "LO", "Doe^John inside a sequence")
        ds.AnatomicRegionSequence = Sequence([item])

    src = copy_of("examples_overlay.dcm", tmp_path, add_curve_and_nested_private)
    original = pydicom.dcmread(src)
    assert any(0x6000 <= e.tag.group <= 0x601E for e in original)
    result = deidentify_dicom(src, tmp_path / "out.dcm", pseudonym=PSEUDONYM, uid_secret=SECRET)
    stored = pydicom.dcmread(tmp_path / "out.dcm")
    seen = []
    stored.walk(lambda _ds, e: seen.append(e.tag))
    assert not [t for t in seen if t.is_private]
    assert not [t for t in seen if 0x5000 <= t.group <= 0x601E]
    assert result.overlay_elements_removed >= 9
    assert result.curve_elements_removed == 2
    assert result.private_elements_removed >= 11
    assert b"Doe^John" not in (tmp_path / "out.dcm").read_bytes()


def test_identifying_attributes_inside_kept_sequences_get_the_profile_action(tmp_path):
    def nest(ds):
        item = Dataset()
        item.PersonName = "Nested^Clinician"  # D
        item.InstitutionName = "Nested General Hospital"  # X/Z/D
        item.CodeValue = "T-A0100"  # not in the table: kept
        ds.AnatomicRegionSequence = Sequence([item])

    src = copy_of("CT_small.dcm", tmp_path, nest)
    deidentify_dicom(src, tmp_path / "out.dcm", pseudonym=PSEUDONYM, uid_secret=SECRET)
    stored = pydicom.dcmread(tmp_path / "out.dcm")
    item = stored.AnatomicRegionSequence[0]
    assert item.PersonName != "Nested^Clinician"
    assert item.CodeValue == "T-A0100"
    raw = (tmp_path / "out.dcm").read_bytes()
    assert b"Nested" not in raw


def test_a_file_flagged_burned_in_annotation_is_held_for_review(tmp_path):
    src = copy_of("CT_small.dcm", tmp_path, lambda ds: setattr(ds, "BurnedInAnnotation", "YES"))
    result = deidentify_dicom(src, tmp_path / "out.dcm", pseudonym=PSEUDONYM, uid_secret=SECRET)
    assert result.held_for_review
    assert "BurnedInAnnotation" in result.review_reason
    assert (tmp_path / "out.dcm").exists()  # still de-identified and written; the caller holds it


def test_a_secondary_capture_is_held_for_review(tmp_path):
    src = pydicom_test_file("SC_rgb_small_odd.dcm")
    assert pydicom.dcmread(src).SOPClassUID == "1.2.840.10008.5.1.4.1.1.7"
    result = deidentify_dicom(src, tmp_path / "out.dcm", pseudonym=PSEUDONYM, uid_secret=SECRET)
    assert result.held_for_review
    assert "secondary capture" in result.review_reason


def test_an_ordinary_ct_without_flags_is_not_held(tmp_path):
    result = deidentify_dicom(pydicom_test_file("CT_small.dcm"), tmp_path / "out.dcm",
                              pseudonym=PSEUDONYM, uid_secret=SECRET)
    assert not result.held_for_review and result.review_reason is None


def test_a_vl_photographic_image_is_not_mistaken_for_a_secondary_capture(tmp_path):
    vl_photo = "1.2.840.10008.5.1.4.1.1.77.1.4"
    src = copy_of("CT_small.dcm", tmp_path, lambda ds: setattr(ds, "SOPClassUID", vl_photo))
    result = deidentify_dicom(src, tmp_path / "out.dcm", pseudonym=PSEUDONYM, uid_secret=SECRET)
    assert "secondary capture" not in (result.review_reason or "")


def test_a_raw_data_set_without_preamble_is_written_as_a_part10_file(tmp_path):
    src = pydicom_test_file("rtstruct.dcm")
    assert src.read_bytes()[128:132] != b"DICM"
    deidentify_dicom(src, tmp_path / "out.dcm", pseudonym=PSEUDONYM, uid_secret=SECRET)
    raw = (tmp_path / "out.dcm").read_bytes()
    assert raw[:132] == bytes(128) + b"DICM"
    assert pydicom.dcmread(tmp_path / "out.dcm").PatientIdentityRemoved == "YES"


def test_a_file_that_is_not_dicom_is_rejected_and_nothing_is_written(tmp_path):
    src = tmp_path / "notes.txt"
    src.write_text("not an image at all\n" * 20)
    with pytest.raises(RejectedFile) as caught:
        deidentify_dicom(src, tmp_path / "out.dcm", pseudonym=PSEUDONYM, uid_secret=SECRET)
    assert caught.value.code == "not_dicom"
    assert not (tmp_path / "out.dcm").exists()


@pytest.mark.parametrize("pseudonym, secret", [("", SECRET), ("  ", SECRET), (PSEUDONYM, ""),
                                                ("x" * 65, SECRET), ("a\\b", SECRET)])
def test_an_empty_pseudonym_or_secret_is_refused(tmp_path, pseudonym, secret):
    with pytest.raises(ValueError):
        deidentify_dicom(pydicom_test_file("CT_small.dcm"), tmp_path / "out.dcm",
                         pseudonym=pseudonym, uid_secret=secret)


def test_map_uid_gives_a_valid_deterministic_secret_dependent_2_25_uid():
    uid = "1.3.12.2.1107.5.2.32.35389.30000010072311244895300000004"
    new = map_uid(uid, SECRET)
    assert re.fullmatch(r"2\.25\.(0|[1-9]\d*)", new) and len(new) <= 64
    assert UID(new).is_valid
    assert map_uid(uid, SECRET) == new
    assert map_uid(uid + " ", SECRET) == new  # padding does not change the identity
    assert map_uid(uid, "other") != new
    assert map_uid(uid[:-1] + "5", SECRET) != new
    assert map_uid("", SECRET) == ""


def test_the_actions_come_from_the_standard_table():
    assert profile_action(0x00100030) == "Z"  # Patient's Birth Date
    assert profile_action(0x0020000D) == "U"  # Study Instance UID
    assert profile_action(0x00081155) == "U"  # Referenced SOP Instance UID
    assert profile_action(0x00080080) == "X/Z/D"  # Institution Name
    assert profile_action(0x00081030) == "X"  # Study Description
    assert profile_action(0x60043000) == "X"  # Overlay Data, repeating group
    assert profile_action(0x00280010) is None  # Rows: kept


def test_the_uid_secret_is_read_from_the_environment_and_required():
    assert uid_secret_from_env({"RADCASE_DEID_UID_SECRET": "abc"}) == "abc"
    with pytest.raises(RuntimeError, match="RADCASE_DEID_UID_SECRET"):
        uid_secret_from_env({})
