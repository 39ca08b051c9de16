"""The shared vocabulary of the conversion package: limits, errors, metadata."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class ImageKind(StrEnum):
    DICOM = "dicom"
    NIFTI = "nifti"
    PNG = "png"
    JPEG = "jpeg"
    TIFF = "tiff"
    BMP = "bmp"

    @property
    def is_raster(self) -> bool:
        return self in (ImageKind.PNG, ImageKind.JPEG, ImageKind.TIFF, ImageKind.BMP)


class ContainerKind(StrEnum):
    """Files that hold other files rather than an image."""

    ZIP = "zip"


class Axis(StrEnum):
    """Anatomical plane for slicing volumes (NIfTI, DICOM multi-frame stays as acquired)."""

    AXIAL = "axial"
    CORONAL = "coronal"
    SAGITTAL = "sagittal"


@dataclass(frozen=True)
class IngestLimits:
    """Budgets checked BEFORE decoding, so a hostile or broken file can't
    exhaust memory: declared sizes are compared with these first."""

    max_file_bytes: int = 512 * 1024 * 1024
    max_pixels_per_frame: int = 100_000_000  # 10k x 10k
    max_voxels_per_file: int = 600_000_000  # e.g. 512 x 512 x 2288, 2.4 GB as float32
    max_decompressed_bytes: int = 2 * 1024 * 1024 * 1024  # .nii.gz and zip members, each
    max_archive_members: int = 5000
    max_archive_total_bytes: int = 4 * 1024 * 1024 * 1024


class RejectedFile(Exception):
    """A file that will not be stored, with a message a person understands.

    `code` is stable and machine-readable (e.g. "empty_file", "truncated_dicom",
    "not_an_image", "no_pixel_data", "too_many_pixels", "unsafe_archive_member").
    The web layer turns it into a 4xx naming `filename`.
    """

    def __init__(self, filename: str, message: str, code: str) -> None:
        super().__init__(f"{filename}: {message}")
        self.filename = filename
        self.message = message
        self.code = code


@dataclass(frozen=True)
class ImageInfo:
    """What ingest extracts from one file and the platform indexes. No pixels.

    A DICOM file is one instance (possibly multi-frame); a NIfTI file is one
    instance whose `frames` are its slices along the default (axial) axis; a
    PNG/JPEG/TIFF/BMP is a one-frame instance.
    """

    kind: ImageKind
    original_name: str
    rows: int
    columns: int
    frames: int  # 2D images in the default stacking (DICOM frames, NIfTI axial slices)
    # DICOM identity; None for other kinds (the platform generates UIDs for them)
    study_instance_uid: str | None = None
    series_instance_uid: str | None = None
    sop_instance_uid: str | None = None
    sop_class_uid: str | None = None
    transfer_syntax_uid: str | None = None
    # descriptive
    modality: str = ""
    body_part: str = ""
    study_description: str = ""
    series_description: str = ""
    series_number: int | None = None
    instance_number: int | None = None
    acquisition_date: dt.date | None = None
    # geometry
    shape: tuple[int, ...] = ()  # full array shape as stored (e.g. NIfTI (x, y, z[, t]))
    volumes: int = 1  # NIfTI 4th dimension (time points); 1 otherwise
    pixel_spacing: tuple[float, float] | None = None  # (row, column) mm
    slice_thickness: float | None = None
    spacing_between_slices: float | None = None
    image_orientation: tuple[float, ...] | None = None  # DICOM IOP (6 floats)
    image_position: tuple[float, float, float] | None = None  # DICOM IPP of (first) frame
    orientation_codes: str | None = None  # NIfTI axis codes, e.g. "RAS"
    # pixel representation and display defaults
    samples_per_pixel: int = 1
    photometric_interpretation: str = "MONOCHROME2"
    bits_allocated: int | None = None
    bits_stored: int | None = None
    rescale_slope: float = 1.0
    rescale_intercept: float = 0.0
    window_center: float = 0.0
    window_width: float = 1.0
    window_source: str = "percentile"  # "dicom" when taken from the file's tags
    # review flags (DICOM): held for a person's review before use
    burned_in_annotation: bool = False
    is_secondary_capture: bool = False
    warnings: tuple[str, ...] = field(default_factory=tuple)
