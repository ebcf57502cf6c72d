// SPDX-License-Identifier: GPL-2.0-or-later
// The status page in a real browser: headless Chromium loads /status from the HTTP endpoint
// (under its content security policy), and both the DOM it builds and the screenshot it takes
// must show the locked host, its MAC and time left, and the chart's two lines.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { Server } from 'node:http';
import { renderStatusPage } from '../../src/control/status-page.ts';
import { startHttpServer } from '../../src/telemetry/http.ts';
import { isPng, readPng } from '../helpers/png.ts';
import { HISTORY, NOW, REPORT } from '../helpers/status-fixture.ts';

const CHROMIUM = ['chromium', 'chromium-browser'].find((name) => spawnSync(name, ['--version']).status === 0);
const skip = CHROMIUM ? false : 'needs chromium (Debian package chromium; scripts/dev.sh test installs it)';
if (skip) process.stderr.write(`\n*** STATUS PAGE BROWSER TEST SKIPPED: ${skip} ***\n\n`);

const WIDTH = 1200;
const HEIGHT = 1600;
let server: Server;
let url: string;
let dir: string;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'ftwall-status-page-'));
  server = await startHttpServer({ host: '127.0.0.1', port: 0 }, {
    notReadyReason: () => null, unhealthyReason: () => null, serveMetrics: () => undefined,
    statusPage: () => renderStatusPage(REPORT, HISTORY, NOW), statusReport: () => REPORT,
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(async () => {
  if (skip) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs headless Chromium on the page (through the / redirect) with its own throw-away profile. */
async function chromium(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(CHROMIUM!, [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions', '--hide-scrollbars',
    `--user-data-dir=${join(dir, 'profile')}`, `--window-size=${WIDTH},${HEIGHT}`, ...args, url,
  ], { timeout: 120_000, maxBuffer: 16 << 20 });
  return stdout;
}

test('Chromium builds a DOM with the locked host, its MAC and time left, the events and the chart', { skip }, async () => {
  const dom = await chromium('--dump-dom');
  assert.match(dom, /<td class="ip">10\.0\.0\.10<\/td><td class="mac">02:77:01:00:00:10<\/td><td class="protocol">fasttrack<\/td><td><strong>LOCKED<\/strong><\/td><td class="left" data-seconds="95">1 min 35 s<\/td>/);
  assert.match(dom, /<td>lock_started<\/td><td>10\.0\.0\.10:3531<\/td><td>198\.51\.100\.7:1214<\/td>/);
  assert.match(dom, /198\.51\.100\.8:3531/);
  assert.match(dom, /<td>p2p_udp<\/td><td class="n">0<\/td><td class="n">42<\/td>/);
  assert.match(dom, /<svg[^>]*>[\s\S]*<path class="accepted" d="M[\d. L]+"[\s\S]*<path class="dropped" d="M[\d. L]+"/);
  assert.match(dom, /<b>x<\/b>|&lt;b&gt;x&lt;\/b&gt;/, 'the host\'s reason is there');
  assert.doesNotMatch(dom, /<b>x<\/b>/, 'as text, not markup');
});

test('Chromium\'s screenshot of the page shows the locked row and both chart lines', { skip }, async () => {
  const file = join(dir, 'status.png');
  await chromium(`--screenshot=${file}`);
  const bytes = readFileSync(file);
  assert.ok(isPng(bytes), 'a PNG');
  assert.ok(statSync(file).size > 30_000, `a page, not a blank: ${statSync(file).size} bytes`);
  const png = readPng(bytes);
  assert.deepEqual([png.width, png.height], [WIDTH, HEIGHT]);
  // The page's colours: the locked row's background, the accepted (blue) and dropped (red) lines.
  const colours = { lockedRow: [0xfd, 0xec, 0xea], accepted: [0x25, 0x63, 0xeb], dropped: [0xd9, 0x2d, 0x20] } as const;
  const found = { lockedRow: 0, accepted: 0, dropped: 0 };
  const boxes = { accepted: { minX: WIDTH, maxX: 0 }, dropped: { minX: WIDTH, maxX: 0 } };
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const [r, g, b] = png.rgb(x, y);
      for (const [name, [cr, cg, cb]] of Object.entries(colours) as Array<[keyof typeof found, readonly number[]]>) {
        if (Math.abs(r - cr!) + Math.abs(g - cg!) + Math.abs(b - cb!) > 24) continue;
        found[name]++;
        if (name !== 'lockedRow') {
          boxes[name].minX = Math.min(boxes[name].minX, x);
          boxes[name].maxX = Math.max(boxes[name].maxX, x);
        }
      }
    }
  }
  assert.ok(found.lockedRow > 5_000, `the locked host's row is highlighted: ${JSON.stringify(found)}`);
  assert.ok(found.accepted > 500, `the accepted line is drawn: ${JSON.stringify(found)}`);
  assert.ok(found.dropped > 500, `the dropped line is drawn: ${JSON.stringify(found)}`);
  for (const name of ['accepted', 'dropped'] as const) assert.ok(boxes[name].maxX - boxes[name].minX > 600, `${name} spans the hour: ${JSON.stringify(boxes)}`);
});
