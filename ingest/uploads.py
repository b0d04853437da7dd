"""Files that come in through the browser: a safe name, a size limit, saved under data/uploads and ingested
one by one; reasons in Chinese."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.settings import Settings

# -- uploads ---------------------------------------------------------------------------------------------
_BAD_NAME_CHARS = set('<>:"|?*')


_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\..*)?$", re.IGNORECASE)


def safe_upload_name(name: str, max_bytes: int = 200) -> str:
    """A browser-supplied file name made safe to save: the last path component only (either slash),
    no "..", control characters or reserved characters; Chinese and spaces kept. Raises ValueError
    when nothing usable is left."""
    s = unicodedata.normalize("NFC", str(name))
    s = "".join(c for c in s if unicodedata.category(c)[0] != "C")  # control, format, surrogate …
    s = s.replace("\\", "/").split("/")[-1]
    s = "".join("_" if c in _BAD_NAME_CHARS else c for c in s)
    s = re.sub(r"\.{2,}", ".", s)
    s = re.sub(r"\s+", " ", s).strip(" .")
    if not s or not re.search(r"[\w\u4e00-\u9fff]", s):
        raise ValueError("文件名为空或无效")
    stem, dot, ext = s.rpartition(".")
    if not dot:
        stem, ext = s, ""
    while len(s.encode("utf-8")) > max_bytes and stem:
        stem = stem[:-1].rstrip(" .")
        s = f"{stem}.{ext}" if ext else stem
    if not stem:
        raise ValueError("文件名为空或无效")
    if _RESERVED.match(s):
        s = "_" + s
    return s


def upload_id(data: bytes) -> str:
    """An upload's id: its content's hash. Two files of the same name are two uploads; the same file twice is one."""
    return hashlib.sha256(data).hexdigest()[:12]


def upload_path(uploads_dir: Path, name: str, data: bytes | None = None) -> Path:
    """Where an upload is saved: uploads_dir/<upload id>/<safe name> (uploads_dir/<name> without data);
    always inside uploads_dir (ValueError otherwise)."""
    root = uploads_dir.resolve()
    folder = root / upload_id(data) if data is not None else root
    path = (folder / safe_upload_name(name)).resolve()
    if path.parent != folder:
        raise ValueError("文件名无效")
    return path


_REEXPORT = "请从原系统重新导出后再上传"
_RESCAN = "请上传更清晰的扫描件，或带文字层的 PDF、Word 文件"
_REASONS = (  # (how the loader's reason starts, what happened；what to do)
    ("empty file", "文件是空的，没有内容；请检查原文件后重新上传"),
    ("binary content", "文件内容不是文字，无法读取；请上传 Word、PDF 或文本文件"),
    ("undecodable text", "无法识别文本编码（已尝试 UTF-8、UTF-16、GB18030）；请用 Word 打开后另存为 .docx 再上传"),
    ("corrupt or not a .docx", f"文件已损坏，无法打开；{_REEXPORT}"),
    ("file too large", "文件过大；请压缩图片或拆分文件后再上传"),
    ("unsupported file type", "不支持的文件类型；请另存为 Word、PDF 或文本文件后再上传"),
    ("no extractable text", f"没有可提取的文字（可能是扫描件）；{_RESCAN}"),
    ("encrypted PDF", "PDF 已加密，无法读取；请去除密码后再上传"),
    ("corrupt PDF", f"PDF 文件已损坏，无法打开；{_REEXPORT}"),
    ("no text left", "去除页眉页脚等内容后没有正文；请确认上传的是正文文件"),
    ("cannot parse HTML", "网页文件无法解析；请另存为 Word 或 PDF 后再上传"),
    ("same document id", "与同批另一文件同名（不含扩展名）；请改名后再上传"),
    ("store error", "写入资料库失败；请稍后重试，仍失败请联系管理员"),
    ("cannot read", "无法读取文件；请确认文件没有被其他程序占用后重新上传"),
    ("file not found", "文件不存在；请重新选择文件上传"),
    ("not a regular file", "不是普通文件；请重新选择文件上传"),
    ("damaged", f"文件已损坏，无法打开；{_REEXPORT}"),
    ("encrypted", "文件已加密，无法读取；请去除密码后再上传"),
    ("empty", "文件中没有文字内容；请检查原文件后重新上传"),
    ("image too large", "图片过大；请缩小图片或降低分辨率后再上传"),
    ("image has", "图片页数过多；请拆分后再上传"),
    ("OCR failed", f"文字识别失败；{_RESCAN}"),
    ("no text found", f"没有识别出文字；{_RESCAN}"),
    ("reading .ofd", "暂时无法读取 OFD 文件；请另存为 PDF 后上传，或联系管理员"),
    ("same text as", "与已导入的文件内容相同，只保存一份；无需再次上传"),
    ("unexpected error", f"读取时出错；{_REEXPORT}，仍失败请联系管理员"),
)


def reason_zh(reason: str) -> str:
    """An ingest failure reason in Chinese: what happened and what to do. The loader's technical detail is
    English and left out; only the other file's name of a duplicate is kept."""
    for prefix, zh in _REASONS:
        if reason.startswith(prefix):
            detail = reason[len(prefix):].strip(" :：")
            if prefix == "same text as" and detail:
                return f"与已导入的“{detail.split(';')[0].strip()}”内容相同，只保存一份；无需再次上传"
            return zh
    return "无法读取此文件；请确认文件完好、格式受支持后再上传"


@dataclass
class UploadResult:
    saved: list[str] = field(default_factory=list)  # file names ingested
    doc_ids: list[str] = field(default_factory=list)  # the stored documents they became (for their visibility)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file name as uploaded, reason in Chinese)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"成功 {len(self.saved)} 个（新增 {self.added}，更新 {self.updated}，未变 {self.unchanged}），"
                f"失败 {len(self.failed)} 个，段落 {self.chunks} 个，用时 {self.seconds:.1f} 秒")


def ingest_uploads(files: Sequence[tuple[str, bytes]], services: Any,
                   on_progress: Callable[[int, int, str], None] | None = None) -> UploadResult:
    """Save uploaded files under data_dir/uploads (sanitised names, size limit checked before saving) and
    ingest them one by one; a bad file is reported with its reason and removed, the others go through."""
    from ingest.pipeline import Source, ingest_paths

    settings: Settings = services.settings
    uploads = settings.data_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    result = UploadResult()
    t0 = time.perf_counter()
    for i, (name, data) in enumerate(files):
        if on_progress:
            on_progress(i, len(files), name)
        suffix = Path(name).suffix.lower().lstrip(".")
        if suffix not in settings.upload_suffixes:
            result.failed.append((name, f"不支持的文件类型（允许：{'、'.join(settings.upload_suffixes)}）"))
            continue
        if len(data) > settings.max_file_bytes:
            result.failed.append((name, f"文件过大（{len(data) / 1048576:.1f} MB，上限 {settings.max_file_mb:g} MB）"))
            continue
        try:
            path = upload_path(uploads, name, data)
        except ValueError as exc:
            result.failed.append((name, str(exc)))
            continue
        fresh = not path.exists()  # the same bytes under the same name were uploaded before: nothing new
        path.parent.mkdir(parents=True, exist_ok=True)
        if fresh:
            _write_atomic(path, data)
        src = Source(path, path.relative_to(uploads.resolve()).as_posix())
        report = ingest_paths([src], services.store, settings, progress=False)
        if report.failed:
            result.failed += [(name, reason_zh(reason)) for _, reason in report.failed]
            if fresh:  # only what this upload wrote goes: an earlier upload's file is never touched
                path.unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    path.parent.rmdir()
            continue
        result.saved.append(path.name)
        where = str(path.resolve())
        result.doc_ids += [d for d, m in services.store.doc_records().items() if m.get("source_abs") == where]
        result.added += report.added
        result.updated += report.updated
        result.unchanged += report.unchanged
        result.chunks += report.chunks
    if on_progress:
        on_progress(len(files), len(files), "")
    result.seconds = time.perf_counter() - t0
    return result


def delete_document(services: Any, doc_id: str) -> bool:
    """Remove a document from the store and, when it came in through the app, its saved file under
    data_dir/uploads (only there: files elsewhere are the user's own). Returns whether a file was removed."""
    rec = services.store.doc_records().get(doc_id, {})
    services.store.delete_document(doc_id)
    services.store.bump_version()
    uploads = (services.settings.data_dir / "uploads").resolve()
    if rec.get("source_abs"):
        path = Path(str(rec["source_abs"])).resolve()
    elif rec.get("file_name"):  # stored before uploads had their own folders
        path = (uploads / Path(str(rec["file_name"])).name).resolve()
    else:
        return False
    if uploads in path.parents and path.is_file():
        path.unlink()
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # the upload's own folder, when nothing else is in it
        return True
    return False


def _write_atomic(path: Path, data: bytes) -> None:
    """Written whole or not at all: a killed write leaves no half file under the upload's name."""
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def upload_suffix(name: str) -> str:
    return Path(str(name)).suffix.lower().lstrip(".")
