// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Replacing a state file so that a crash or power loss leaves either the old file or the whole new
 * one: the new contents go to `<path>.new`, are fsynced, renamed over `path`, and the directory is
 * fsynced so the rename itself is on disk. Without the first fsync a filesystem may commit the
 * rename before the data (ext4 without auto_da_alloc, XFS, ...), leaving an empty or partial file
 * where the old one was.
 */
import * as nodeFs from 'node:fs';
import { dirname } from 'node:path';

/** The file operations used (node:fs; a recording fake in tests). */
export type AtomicFs = Pick<typeof nodeFs, 'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'rmSync'>;

/** Writes `data` to `path` atomically and durably (see above). Throws what the filesystem threw; the old file is then untouched. */
export function replaceFile(path: string, data: string, fs: AtomicFs = nodeFs): void {
  const temporary = `${path}.new`;
  const fd = fs.openSync(temporary, 'w', 0o644);
  try {
    const bytes = Buffer.from(data);
    for (let written = 0; written < bytes.length;) written += fs.writeSync(fd, bytes, written, bytes.length - written);
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  fs.renameSync(temporary, path);
  syncDirectory(dirname(path), fs);
}

/** fsyncs a directory (its entries: a rename or a new file in it); a filesystem that cannot is ignored. */
function syncDirectory(dir: string, fs: AtomicFs): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    // Some filesystems refuse fsync on a directory; the file itself is already on disk.
    if (!['EINVAL', 'ENOTSUP', 'EISDIR', 'EBADF'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    fs.closeSync(fd);
  }
}
