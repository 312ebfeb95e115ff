"""Writing outputs: atomically (a crash or Ctrl-C mid-way leaves the previous file intact), as a
set when several files belong together, with the permissions the user's umask gives, into a
folder the user named."""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
from pathlib import Path

from .errors import UserError


class OutputError(UserError):
    """An output folder that cannot be one; the message is Chinese."""

    kind = "output"


# The system's reason in the clerk's words (Linux gives English; Windows gives them in the system's
# language, and its sharing violation — a workbook open in Excel — arrives as EACCES).
_REASONS = {
    errno.ENOSPC: "磁盘空间不足", errno.EDQUOT: "磁盘空间不足（超出配额）",
    errno.EACCES: "没有权限（文件可能正在 Excel 或 WPS 中打开，或文件夹只读）",
    errno.EPERM: "没有权限（文件可能正在 Excel 或 WPS 中打开，或文件夹只读）",
    errno.EISDIR: "同一位置已有一个同名的文件夹", errno.ENOTDIR: "路径中有一段是文件，不是文件夹",
    errno.ENOENT: "文件或文件夹不存在", errno.EROFS: "磁盘只读", errno.EEXIST: "已存在同名的文件",
    errno.ENAMETOOLONG: "文件名或路径太长", errno.EIO: "磁盘读写出错", errno.EBUSY: "文件正被其他程序使用",
}
# our temporary names: .<target>.<8 random characters>.tmp (mkstemp) or .<target>.tmp (the ledger's copies)
_TEMP = re.compile(r"^\.(?P<name>.+?)(?:\.[a-z0-9_]{8})?\.tmp$")


def os_reason(e: OSError) -> str:
    """Why a file could not be read or written, in Chinese where the cause is a common one."""
    return _REASONS.get(e.errno or 0, e.strerror or str(e))


def os_error_text(e: OSError) -> str:
    """"<the file the user knows>：<why>" — the destination of a rename rather than its source, and
    the target rather than our hidden temporary file beside it."""
    name = e.filename2 or e.filename
    if name:
        path = Path(os.fsdecode(name))
        temp = _TEMP.match(path.name)
        name = str(path.with_name(temp["name"]) if temp else path)
    return f"{name}：{os_reason(e)}" if name else os_reason(e)


# copy_file_range cannot copy between these two files (another filesystem, an old kernel): shutil's way then
_NO_KERNEL_COPY = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ETXTBSY}


def copy_bytes(src: Path, target: Path) -> None:
    """`src`'s bytes into `target` (created, or emptied first). On Linux the kernel copies them
    (copy_file_range: one call, no buffer in Python — a quarter less per archived original than
    shutil.copyfile, which also stats both files to refuse a copy onto itself); elsewhere, or
    where the kernel cannot, shutil copies. An error names the file written."""
    if not hasattr(os, "copy_file_range"):
        shutil.copyfile(src, target)
        return
    fi = os.open(src, os.O_RDONLY)
    try:
        fo = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            while os.copy_file_range(fi, fo, 1 << 30):
                pass
        except OSError as e:
            if e.errno not in _NO_KERNEL_COPY:
                raise OSError(e.errno, e.strerror, str(target)) from None
            os.close(fo)
            fo = -1
            shutil.copyfile(src, target)
        finally:
            if fo >= 0:
                os.close(fo)
    finally:
        os.close(fi)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temp_beside(target: Path, data: bytes, durable: bool = True) -> str:
    """`data` in a temporary file next to `target`, flushed to disk (unless the caller syncs a
    whole batch at once), with the mode a new file gets (mkstemp makes it 0600; a clerk's
    colleagues must be able to open the workbook)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def write_bytes_atomic(target: Path, data: bytes, durable: bool = True) -> None:
    """`durable=False`: no fsync of its own — for many small files whose writer calls
    `sync_to_disk` once for the batch (the ledger does, before it commits)."""
    if durable:
        write_set_atomic([(target, data)])
        return
    tmp = _temp_beside(target, data, durable=False)
    try:
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sync_to_disk(paths: list[Path]) -> None:
    """Everything written so far reaches the disk: one sync where the system has it (one call
    instead of an fsync per file, which cost a third of a city's intake), else each file."""
    if hasattr(os, "sync"):
        os.sync()
        return
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)


def write_set_atomic(files: list[tuple[Path, bytes]]) -> None:
    """Several files that belong together (a report's md, html and docx): every one is written to
    a temporary file first; they replace the old ones only when all were written."""
    temps: list[tuple[str, Path]] = []
    try:
        for target, data in files:
            temps.append((_temp_beside(target, data), target))
        for tmp, target in temps:
            os.replace(tmp, target)
    except BaseException:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(target: Path, text: str, durable: bool = True) -> None:
    write_bytes_atomic(target, text.encode("utf-8"), durable)


def output_folder(out: Path | None, default: Path) -> Path:
    """--out names a folder (created when missing); the default is beside the configuration."""
    folder = out if out is not None else default
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"--out 应为文件夹，但 {folder} 是一个已有的文件。请换一个文件夹名，"
                          "或不加 --out（默认保存在配置文件旁的文件夹）。")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"无法建立输出文件夹 {folder}：{os_reason(e)}") from None
    return folder
