// SPDX-License-Identifier: GPL-2.0-or-later
// State files are replaced durably: the new file fsynced before it is renamed over the old one, and
// the directory fsynced after; the peer and client stores write that way.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { replaceFile, type AtomicFs } from '../../../src/state/atomic-file.ts';
import { ClientStore } from '../../../src/state/client-store.ts';
import { PeerStore } from '../../../src/state/peer-store.ts';

const root = mkdtempSync(join(tmpdir(), 'ftwall-atomic-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** The real node:fs, recording each call as `op target` (fds named by the path they were opened on). */
function recordingFs(options: { failWrite?: boolean } = {}): { fs: AtomicFs; calls: string[] } {
  const calls: string[] = [];
  const paths = new Map<number, string>();
  const recorded: AtomicFs = {
    openSync: ((path: string, flags: string, mode?: number) => {
      const fd = fs.openSync(path, flags, mode);
      const name = path.replace(root, '') || '<dir>';
      paths.set(fd, name);
      calls.push(`open ${name}`);
      return fd;
    }) as AtomicFs['openSync'],
    writeSync: ((fd: number, buffer: Buffer, offset: number, length: number) => {
      calls.push(`write ${paths.get(fd)}`);
      if (options.failWrite) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      // Short writes, as a full pipe or a signal can make them: the rest must still be written.
      return fs.writeSync(fd, buffer, offset, Math.min(length, 7));
    }) as AtomicFs['writeSync'],
    fsyncSync: (fd) => { calls.push(`fsync ${paths.get(fd)}`); fs.fsyncSync(fd); },
    closeSync: (fd) => { calls.push(`close ${paths.get(fd)}`); fs.closeSync(fd); },
    renameSync: (from, to) => { calls.push(`rename ${String(from).replace(root, '')} ${String(to).replace(root, '')}`); fs.renameSync(from, to); },
    rmSync: (path, opts) => { calls.push(`rm ${String(path).replace(root, '')}`); fs.rmSync(path, opts); },
  };
  return { fs: recorded, calls };
}

const collapse = (calls: string[]) => calls.filter((call, i) => call !== calls[i - 1]);

test('the new file is written whole and fsynced before the rename, the directory fsynced after', () => {
  const path = join(root, 'state.txt');
  writeFileSync(path, 'old contents\n');
  const { fs: recorded, calls } = recordingFs();
  const data = `${'x'.repeat(100)}\nnew contents\n`;
  replaceFile(path, data, recorded);
  assert.equal(readFileSync(path, 'utf8'), data);
  assert.deepEqual(collapse(calls), [
    'open /state.txt.new', 'write /state.txt.new', 'fsync /state.txt.new', 'close /state.txt.new',
    'rename /state.txt.new /state.txt', 'open <dir>', 'fsync <dir>', 'close <dir>',
  ]);
});

test('a failed write leaves the old file untouched and removes the temporary one', () => {
  const path = join(root, 'kept.txt');
  writeFileSync(path, 'old contents\n');
  const { fs: recorded, calls } = recordingFs({ failWrite: true });
  assert.throws(() => replaceFile(path, 'new\n', recorded), /ENOSPC/);
  assert.equal(readFileSync(path, 'utf8'), 'old contents\n');
  assert.equal(fs.existsSync(`${path}.new`), false);
  assert.ok(!calls.some((call) => call.startsWith('rename')));
});

test('the peer store\'s rewrite and the client store\'s save go through the fsynced replace', () => {
  const peers = recordingFs();
  const peerStore = new PeerStore(join(root, 'peers.txt'), 3, peers.fs);
  peerStore.load();
  peerStore.rewrite(['198.51.100.3:3 confirmed']);
  assert.equal(readFileSync(join(root, 'peers.txt'), 'utf8'), '198.51.100.3:3 confirmed\n');
  assert.ok(collapse(peers.calls).join(',').includes('fsync /peers.txt.new,close /peers.txt.new,rename /peers.txt.new /peers.txt'));

  const clients = recordingFs();
  const clientStore = new ClientStore(join(root, 'clients.json'), clients.fs);
  clientStore.save([]);
  assert.deepEqual(clientStore.load(), []);
  assert.ok(collapse(clients.calls).join(',').includes('fsync /clients.json.new,close /clients.json.new,rename /clients.json.new /clients.json'));
});
