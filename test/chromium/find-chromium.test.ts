// scripts/find-chromium.mjs, npm test's pretest: which Chromium the tests launch, and what it
// does on a machine with none. Every browser, apt-get and sudo here is a shell-script stub
// in a temporary directory, reached through a fake HOME and PATH: the real apt never runs.
// Node-only (it spawns processes), so it lives with the dist project, which runs in Node.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findChromium, main } from '../../scripts/find-chromium.mjs';
import { root } from './harness';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'find-chromium-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** An executable shell script at `tmp/file`. */
function script(file: string, body: string): string {
  const path = join(tmp, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** A browser that answers `--version` with `name`. */
const browser = (file: string, name = file) => script(file, `echo "Chromium 999 (${name})"`);

// No /usr/bin or /bin on PATH: there, the machine's own chromium would be found.
const bin = () => join(tmp, 'bin');
const system = () => join(tmp, 'usr/bin/chromium');
const options = (env: Record<string, string> = {}, uid = 0) => ({
  env: { HOME: join(tmp, 'home'), PATH: bin(), ...env },
  systemPath: system(),
  uid,
});

/** main() with its lines collected. */
function run(opts: ReturnType<typeof options>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = main({ ...opts, out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

/** Lines the apt-get stub logged: "$DEBIAN_FRONTEND $*" for each call. */
const aptCalls = () => {
  try {
    return readFileSync(join(tmp, 'apt.log'), 'utf8').trim().split('\n');
  } catch {
    return [];
  }
};

/** An apt-get that logs its calls and, like Debian's package, installs /usr/bin/chromium. */
function aptGet(status = 0): string {
  return script(
    'bin/apt-get',
    [
      `echo "$DEBIAN_FRONTEND $*" >> ${join(tmp, 'apt.log')}`,
      `if [ "$1" = install ]; then /bin/mkdir -p ${dirname(system())}; printf '#!/bin/sh\\necho "Chromium 777 (apt)"\\n' > ${system()}; /bin/chmod +x ${system()}; fi`,
      `exit ${status}`,
    ].join('\n'),
  );
}

describe('which Chromium the tests launch', () => {
  it('takes the first runnable one: Playwright cache (newest first, full before headless shell), Debian, then PATH', () => {
    const cache = 'home/.cache/ms-playwright';
    // Written out of order, so that the order found is the finder's.
    const order = [
      `${cache}/chromium-1200/chrome-linux64/chrome`,
      `${cache}/chromium-999/chrome-linux/chrome`,
      `${cache}/chromium_headless_shell-1200/chrome-headless-shell-linux64/chrome-headless-shell`,
      `${cache}/chromium_headless_shell-1100/chrome-linux/headless_shell`,
      'usr/bin/chromium',
      'bin/chromium',
      'bin/chromium-browser',
      'bin/google-chrome',
      'bin/google-chrome-stable',
    ];
    for (const file of [...order].reverse()) browser(file);
    // Each winner in turn stops answering `--version`, in each of the ways one can.
    const breakings = [
      (path: string) => chmodSync(path, 0o644), // not executable
      (path: string) => writeFileSync(path, '#!/bin/sh\necho "requires the chromium snap" >&2\nexit 1\n'), // Ubuntu's stub
      (path: string) => writeFileSync(path, '#!/bin/sh\nexit 0\n'), // prints nothing
      (path: string) => rmSync(path),
    ];
    order.forEach((file, i) => {
      expect(findChromium(options())?.path).toBe(join(tmp, file));
      breakings[i % breakings.length]?.(join(tmp, file));
    });
    expect(findChromium(options())).toBeUndefined();
  });

  it('prefers $CHROMIUM_PATH to everything', () => {
    browser('home/.cache/ms-playwright/chromium-1200/chrome-linux64/chrome');
    browser('usr/bin/chromium');
    const chosen = browser('elsewhere/chrome');
    expect(findChromium(options({ CHROMIUM_PATH: chosen }))).toEqual({
      path: chosen,
      version: 'Chromium 999 (elsewhere/chrome)',
      from: 'CHROMIUM_PATH',
    });
  });

  it('looks in $PLAYWRIGHT_BROWSERS_PATH, or $XDG_CACHE_HOME/ms-playwright, instead of ~/.cache, as Playwright does', () => {
    const home = browser('home/.cache/ms-playwright/chromium-1200/chrome-linux64/chrome');
    const custom = browser('browsers/chromium-1100/chrome-linux64/chrome');
    const xdg = browser('xdg/ms-playwright/chromium-1100/chrome-linux64/chrome');
    browser('usr/bin/chromium');
    expect(findChromium(options())?.path).toBe(home);
    expect(findChromium(options({ PLAYWRIGHT_BROWSERS_PATH: join(tmp, 'browsers') }))?.path).toBe(custom);
    expect(findChromium(options({ XDG_CACHE_HOME: join(tmp, 'xdg') }))?.path).toBe(xdg);
    rmSync(custom);
    expect(findChromium(options({ PLAYWRIGHT_BROWSERS_PATH: join(tmp, 'browsers') }))?.path).toBe(system());
  });

  it('stops at a $CHROMIUM_PATH that does not run, instead of testing another browser', () => {
    browser('usr/bin/chromium');
    aptGet();
    for (const chosen of [join(tmp, 'nonexistent'), script('broken', 'exit 1')]) {
      const { code, out, err } = run(options({ CHROMIUM_PATH: chosen }));
      expect(code).toBe(1);
      expect(out).toEqual([]);
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(new RegExp(`^CHROMIUM_PATH=${chosen} does not run`));
    }
    expect(aptCalls()).toEqual([]);
  });

  it('says which one it found, and installs nothing', () => {
    browser('usr/bin/chromium');
    aptGet();
    expect(run(options())).toEqual({
      code: 0,
      out: [`Chromium for the tests: ${system()} (Chromium 999 (usr/bin/chromium); Debian's chromium)`],
      err: [],
    });
    expect(aptCalls()).toEqual([]);
  });
});

describe('with no Chromium at all', () => {
  it("installs Debian's chromium as root with apt-get, saying so first", () => {
    const apt = aptGet();
    const { code, out, err } = run(options({}, 0));
    expect(aptCalls()).toEqual(['noninteractive update', 'noninteractive install -y chromium']);
    expect(err).toEqual([]);
    expect(out).toEqual([
      `No Chromium found: installing Debian's chromium (${apt} update && ${apt} install -y chromium)`,
      `Chromium for the tests: ${system()} (Chromium 777 (apt); Debian's chromium)`,
    ]);
    expect(code).toBe(0);
  });

  it('installs through sudo -n when not root and sudo needs no password', () => {
    const apt = aptGet();
    // Like sudo: a fresh environment, so DEBIAN_FRONTEND must be set on its command line.
    const sudo = script(
      'bin/sudo',
      `echo "sudo $*" >> ${join(tmp, 'apt.log')}\n[ "$1" = -n ] || exit 1\nshift\nexec /usr/bin/env -i PATH=/usr/bin:/bin "$@"`,
    );
    const { code, out } = run(options({}, 1000));
    expect(aptCalls()).toEqual([
      'sudo -n true',
      `sudo -n ${apt} update`,
      ' update',
      `sudo -n env DEBIAN_FRONTEND=noninteractive ${apt} install -y chromium`,
      'noninteractive install -y chromium',
    ]);
    expect(out[0]).toBe(
      `No Chromium found: installing Debian's chromium (${sudo} -n ${apt} update && ${sudo} -n env DEBIAN_FRONTEND=noninteractive ${apt} install -y chromium)`,
    );
    expect(code).toBe(0);
  });

  const noWay =
    /^No Chromium found for the browser tests \(.*\) and no way to install one here: set CHROMIUM_PATH=.*, or run `sudo apt-get install chromium`/;

  it.each([
    ['not root, and sudo wants a password', 1000, () => script('bin/sudo', 'exit 1')],
    ['not root, and no sudo', 1000, () => undefined],
    ['root, but no apt-get', 0, () => rmSync(join(tmp, 'bin/apt-get'))],
  ])('tells how to get one, in one line, and fails: %s', (_, uid, setUp) => {
    aptGet();
    setUp();
    const { code, out, err } = run(options({}, uid));
    expect(aptCalls().filter((line) => !line.startsWith('sudo'))).toEqual([]);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(noWay);
    expect(code).toBe(1);
  });

  it('fails, in one line, when apt-get fails', () => {
    const apt = aptGet(100);
    const { code, err } = run(options({}, 0));
    expect(aptCalls()).toEqual(['noninteractive update']);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(new RegExp(`^\`${apt} update\` failed \\(exit 100\\): set CHROMIUM_PATH=`));
    expect(code).toBe(1);
  });
});

describe('wiring', () => {
  const node = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, args, { cwd: root, env: { HOME: join(tmp, 'home'), PATH: bin(), ...env }, encoding: 'utf8' });

  it('npm test runs the finder first', () => {
    const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(scripts.pretest).toBe('node scripts/find-chromium.mjs');
  });

  it('the CLI exits non-zero with one line on stderr when it cannot find Chromium', () => {
    const bad = node(['scripts/find-chromium.mjs'], { CHROMIUM_PATH: join(tmp, 'nonexistent') });
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(
      `CHROMIUM_PATH=${join(tmp, 'nonexistent')} does not run (\`--version\`: no such file); point it at a Chromium binary, or unset it to use the one found or installed.\n`,
    );
    expect(bad.status).toBe(1);
    const good = node(['scripts/find-chromium.mjs'], { CHROMIUM_PATH: browser('chrome') });
    expect(good.stdout).toBe(`Chromium for the tests: ${join(tmp, 'chrome')} (Chromium 999 (chrome); CHROMIUM_PATH)\n`);
    expect(good.status).toBe(0);
  });

  it('the launch settings (vitest.config.ts, test/chromium/) use the Chromium found', () => {
    const chrome = browser('home/.cache/ms-playwright/chromium-1200/chrome-linux64/chrome');
    const print = "import('./scripts/chromium.mjs').then(({ chromiumLaunch }) => console.log(chromiumLaunch.executablePath))";
    expect(node(['--input-type=module', '-e', print], {}).stdout).toBe(`${chrome}\n`);
  });
});
