"""Safe extraction of uploaded ZIP archives.

Public:

    extract_archive(path: Path, dest_dir: Path, limits: IngestLimits, original_name: str)
        -> ExtractedArchive

`ExtractedArchive` is a `list[tuple[str, Path]]` of (member name as written in
the archive, extracted file), in archive order, with one extra attribute:
`skipped: list[SkippedMember]`, each `(name, reason)`, naming every member
that was not extracted so the platform can tell the user.

The whole archive is refused (RejectedFile; files already written are
removed) when:

- it is not a readable ZIP, or is encrypted ("unreadable_archive");
- a member's name is unsafe: absolute ("/x", "\\\\x"), with a drive letter
  ("C:"), a ".." segment, a NUL byte, more than 32 path segments or over 1024
  characters; or the member is a symlink or another non-regular file, judged
  from the Unix mode in external_attr ("unsafe_archive_member");
- it has more than `limits.max_archive_members` entries ("too_many_members");
- a member inflates past `limits.max_decompressed_bytes`, or all members
  together past `limits.max_archive_total_bytes` ("archive_too_large").
  Declared sizes are checked first, but the bytes are also COUNTED while
  they are written, so a member that lies about its size is caught too.

Members skipped (listed in `.skipped`, not an error):

- directories; macOS and Windows junk (`__MACOSX/`, `.DS_Store`, `._*`,
  `Thumbs.db`, `desktop.ini`); DICOMDIR index files;
- documents and text shipped with exports, by name (README*, LICENSE*,
  *.txt, *.md, *.csv, *.json, *.pdf, *.html, ...) or, for names without an
  image-like extension, by content (UTF-8 text without NUL bytes);
- archives inside the archive (not extracted recursively).

A member with an image-like extension (.dcm, .nii, .png, ...) is always
extracted, whatever it holds, so `inspect` can reject it with a clear message.

Extracted files are written flat into `dest_dir` as `NNNNN-<safe basename>`;
`dest_dir` must exist. The archive's own folder structure lives on only in
the returned member names.
"""

from __future__ import annotations

import re
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from ._common import human_bytes
from .types import IngestLimits, RejectedFile

MAX_NAME_LENGTH = 1024
MAX_PATH_DEPTH = 32
CHUNK = 1024 * 1024

_JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini", ".directory", "icon\r"}
_DOC_SUFFIXES = {
    ".txt", ".md", ".markdown", ".rst", ".csv", ".tsv", ".json", ".xml", ".html", ".htm", ".pdf",
    ".rtf", ".doc", ".docx", ".odt", ".xls", ".xlsx", ".log", ".ini", ".cfg", ".yaml", ".yml",
    ".nfo", ".url", ".lnk", ".bat", ".sh", ".py", ".js", ".css", ".exe", ".dll", ".md5", ".sha1",
    ".sha256", ".sig", ".asc", ".bvec", ".bval",
}
_DOC_STEMS = ("readme", "license", "licence", "copying", "changelog", "notes", "authors", "manifest")
_IMAGE_SUFFIXES = {
    ".dcm", ".dicom", ".dic", ".ima", ".img", ".nii", ".gz", ".png", ".jpg", ".jpeg", ".tif", ".tiff",
    ".bmp",
}
_ARCHIVE_SUFFIXES = {".zip", ".7z", ".rar", ".tar", ".tgz", ".bz2", ".xz"}
_SAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_DRIVE = re.compile(r"^[A-Za-z]:")


class SkippedMember(NamedTuple):
    name: str
    reason: str


class ExtractedArchive(list):
    """list[tuple[str, Path]] of extracted members, plus `.skipped`."""

    def __init__(self) -> None:
        super().__init__()
        self.skipped: list[SkippedMember] = []


def extract_archive(path: Path, dest_dir: Path, limits: IngestLimits,
                    original_name: str) -> ExtractedArchive:
    """Extract the image files of ZIP `path` into `dest_dir`; see the module docstring."""
    path, dest_dir = Path(path), Path(dest_dir)
    dest_root = dest_dir.resolve()
    result = ExtractedArchive()
    written: list[Path] = []
    try:
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise RejectedFile(original_name, "the ZIP archive is damaged or not a ZIP file",
                               "unreadable_archive") from exc
        with archive:
            members = archive.infolist()
            _check_members(members, limits, original_name)
            total = 0
            for index, info in enumerate(members):
                reason = _skip_reason(info)
                if reason:
                    result.skipped.append(SkippedMember(info.filename, reason))
                    continue
                target = dest_root / f"{index:05d}-{_safe_basename(info.filename)}"
                if target.resolve().parent != dest_root:  # pragma: no cover - defence in depth
                    raise RejectedFile(original_name, f"unsafe member name {info.filename!r}",
                                       "unsafe_archive_member")
                written.append(target)
                total = _copy_member(archive, info, target, total, limits, original_name)
                content_reason = _skip_by_content(info.filename, target)
                if content_reason:
                    target.unlink()
                    written.pop()
                    result.skipped.append(SkippedMember(info.filename, content_reason))
                    continue
                result.append((info.filename, target))
    except BaseException:
        for file in written:
            file.unlink(missing_ok=True)
        raise
    return result


def _check_members(members: list[zipfile.ZipInfo], limits: IngestLimits, name: str) -> None:
    if len(members) > limits.max_archive_members:
        raise RejectedFile(
            name, f"the archive holds {len(members):,} entries, over the limit of "
            f"{limits.max_archive_members:,}", "too_many_members",
        )
    declared_total = 0
    for info in members:
        problem = unsafe_member_problem(info)
        if problem:
            raise RejectedFile(name, f"archive member {info.filename!r} {problem}", "unsafe_archive_member")
        if info.flag_bits & 0x1:
            raise RejectedFile(name, f"archive member {info.filename!r} is encrypted; encrypted archives "
                               "are not supported", "unreadable_archive")
        if info.is_dir():
            continue
        if info.file_size > limits.max_decompressed_bytes:
            raise RejectedFile(
                name, f"archive member {info.filename!r} declares {human_bytes(info.file_size)} "
                f"uncompressed, over the limit of {human_bytes(limits.max_decompressed_bytes)}",
                "archive_too_large",
            )
        declared_total += info.file_size
    if declared_total > limits.max_archive_total_bytes:
        raise RejectedFile(
            name, f"the archive declares {human_bytes(declared_total)} uncompressed, over the limit "
            f"of {human_bytes(limits.max_archive_total_bytes)}", "archive_too_large",
        )


def unsafe_member_problem(info: zipfile.ZipInfo) -> str | None:
    """Why a member may not be extracted (a phrase), or None if its name and type are safe."""
    raw = info.filename
    if "\x00" in raw:
        return "has a NUL byte in its name"
    if len(raw) > MAX_NAME_LENGTH:
        return "has an overlong name"
    name = raw.replace("\\", "/")
    if name.startswith("/"):
        return "has an absolute path"
    if _DRIVE.match(name):
        return "has a drive letter"
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return "climbs out of the archive with '..'"
    if len(parts) > MAX_PATH_DEPTH:
        return f"is nested more than {MAX_PATH_DEPTH} folders deep"
    mode = info.external_attr >> 16
    file_type = stat.S_IFMT(mode)
    if file_type == stat.S_IFLNK:
        return "is a symbolic link"
    if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "is not a regular file (device, pipe or socket)"
    return None


def _skip_reason(info: zipfile.ZipInfo) -> str | None:
    if info.is_dir():
        return "folder"
    name = info.filename.replace("\\", "/")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    base = parts[-1] if parts else ""
    lower = base.lower()
    if "__macosx" in (p.lower() for p in parts) or lower.startswith("._") or lower in _JUNK_NAMES:
        return "operating-system metadata"
    if lower == "dicomdir":
        return "DICOMDIR index (not an image)"
    suffix = PurePosixPath(lower).suffix
    if suffix in _ARCHIVE_SUFFIXES:
        return "archive inside the archive (not extracted)"
    if suffix in _DOC_SUFFIXES or (suffix not in _IMAGE_SUFFIXES and lower.startswith(_DOC_STEMS)):
        return "document or text file (not an image)"
    if info.file_size == 0:
        return "empty file"
    return None


def _skip_by_content(member_name: str, target: Path) -> str | None:
    with target.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")) and head[128:132] != b"DICM":
        return "archive inside the archive (not extracted)"
    if not head:
        return "empty file"
    suffix = PurePosixPath(member_name.replace("\\", "/").lower()).suffix
    if suffix in _IMAGE_SUFFIXES:
        return None  # named like an image: inspect decides, and tells the user why if not
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the 4 KB boundary
            return None
    return "text file (not an image)"


def _copy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, total: int,
                 limits: IngestLimits, name: str) -> int:
    """Stream one member to `target`, counting the bytes actually written."""
    written = 0
    try:
        with archive.open(info) as src, target.open("xb") as dst:
            while True:
                chunk = src.read(CHUNK)
                if not chunk:
                    break
                written += len(chunk)
                if written > limits.max_decompressed_bytes:
                    raise RejectedFile(
                        name, f"archive member {info.filename!r} inflates past the limit of "
                        f"{human_bytes(limits.max_decompressed_bytes)}", "archive_too_large",
                    )
                if total + written > limits.max_archive_total_bytes:
                    raise RejectedFile(
                        name, f"the archive inflates past the limit of "
                        f"{human_bytes(limits.max_archive_total_bytes)} in all", "archive_too_large",
                    )
                dst.write(chunk)
    except RejectedFile:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        raise RejectedFile(
            name, f"archive member {info.filename!r} could not be extracted ({type(exc).__name__}: {exc})",
            "unreadable_archive",
        ) from exc
    return total + written


def _safe_basename(member_name: str) -> str:
    base = member_name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    safe = _SAFE_CHARS.sub("_", base).strip("._") or "member"
    return safe[-100:]


def remove_extracted(result: ExtractedArchive) -> None:
    """Delete the files `extract_archive` wrote (for callers cleaning up after a failure)."""
    for _name, file in result:
        file.unlink(missing_ok=True)


__all__ = ["ExtractedArchive", "SkippedMember", "extract_archive", "remove_extracted",
           "unsafe_member_problem"]
