// Finds the Chromium the tests launch, and installs Debian's when there is none and this
// machine lets us (issue 11: `npm test` must work on a fresh machine, not only in CI).
// `npm test` runs it first as `pretest`, so a missing browser stops the run before the
// build; scripts/chromium.mjs calls findChromium() again so that vitest's browser project
// and test/chromium/ launch the same binary. Only this script's CLI ever installs.
//
//   node scripts/find-chromium.mjs     prints the Chromium found (installing it if it can),
//                                      or one line saying how to get one; exits 1 then.
//
// Plain Node, no dependencies: it runs before anything is built.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync, realpathSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Names a Chromium goes by on PATH, in the order they are tried. */
const ON_PATH = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
// A browser that has not printed its version by then is hanging, not slow (Debian's takes
// ~0.3 s): a binary that does not know --version may start browsing instead of exiting.
const VERSION_TIMEOUT_MS = 15_000;

/** `name` as the shell would find it on `env.PATH`, or undefined. */
export function onPath(name, env = process.env) {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

/** Entries of `dir` named `prefix` + a revision, newest revision first. */
function revisions(dir, prefix) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
    .sort((a, b) => Number(b.slice(prefix.length)) - Number(a.slice(prefix.length)))
    .map((name) => join(dir, name));
}

/** Executables named `file` one directory down in each of `dirs` whose name passes `keep`. */
function inSubdirs(dirs, keep, file) {
  return dirs.flatMap((dir) => {
    try {
      return readdirSync(dir)
        .filter(keep)
        .sort()
        .map((sub) => join(dir, sub, file));
    } catch {
      return [];
    }
  });
}

/** Where Playwright keeps the browsers it downloads, as playwright-core computes it on Linux. */
function playwrightCache(env, cwd) {
  const set = env.PLAYWRIGHT_BROWSERS_PATH;
  if (set === '0') return fileURLToPath(new URL('../node_modules/playwright-core/.local-browsers', import.meta.url));
  if (set) return resolve(env.INIT_CWD || cwd, set);
  const cache = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : undefined);
  return cache === undefined ? undefined : join(cache, 'ms-playwright');
}

/**
 * Every place a Chromium may be, in the order they are tried: Playwright's cache first
 * (someone who ran `npx playwright install` wants that one), then Debian's package, then
 * whatever PATH offers. $CHROMIUM_PATH is not among them: findChromium() handles it.
 */
export function candidates({ env = process.env, cwd = process.cwd(), systemPath = '/usr/bin/chromium' } = {}) {
  const list = [];
  const cache = playwrightCache(env, cwd);
  if (cache !== undefined) {
    // chrome-linux64/ in current Playwright (Chrome for Testing), chrome-linux/ in older ones.
    const full = inSubdirs(revisions(cache, 'chromium-'), (sub) => sub.startsWith('chrome-linux'), 'chrome');
    // Playwright itself launches the headless shell as `chromium` whenever headless is true
    // (its default), so it takes our launch settings. chrome-headless-shell-linux64/
    // chrome-headless-shell in current Playwright, chrome-linux/headless_shell in older ones.
    const shells = revisions(cache, 'chromium_headless_shell-');
    const shell = [
      ...inSubdirs(shells, (sub) => sub.startsWith('chrome-headless-shell-linux'), 'chrome-headless-shell'),
      ...inSubdirs(shells, (sub) => sub.startsWith('chrome-linux'), 'headless_shell'),
    ];
    list.push(...full.map((path) => ({ path, from: 'Playwright cache' })));
    list.push(...shell.map((path) => ({ path, from: 'Playwright cache' })));
  }
  list.push({ path: systemPath, from: "Debian's chromium" });
  for (const name of ON_PATH) {
    const path = onPath(name, env);
    if (path !== undefined) list.push({ path, from: `${name} on PATH` });
  }
  // Debian's /usr/bin/chromium is usually `chromium` on PATH too: a broken one runs once.
  const seen = new Set();
  return list.filter(({ path }) => {
    let key = path;
    try {
      key = realpathSync(path);
    } catch {}
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const WHY = { ENOENT: 'no such file', EACCES: 'not executable', ETIMEDOUT: `no answer in ${VERSION_TIMEOUT_MS / 1000} s` };

/** The first line `path --version` prints, or why it printed none. */
export function versionOf(path, env = process.env) {
  const run = spawnSync(path, ['--version'], { env, encoding: 'utf8', timeout: VERSION_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
  const line = run.stdout?.trim().split('\n')[0]?.trim();
  if (run.error === undefined && run.status === 0 && line) return { version: line };
  if (run.error !== undefined) return { failure: WHY[run.error.code] ?? run.error.code ?? run.error.message };
  if (run.signal !== null) return { failure: `killed by ${run.signal}` };
  return { failure: run.status === 0 ? 'printed nothing' : `exit ${run.status}` };
}

/**
 * The Chromium to launch: `{ path, version, from }`; `{ problem }` when $CHROMIUM_PATH names
 * one that does not run (the user chose it: falling back to another would test a browser
 * they did not ask for); undefined when there is none. Never installs anything.
 */
export function findChromium(options = {}) {
  const env = options.env ?? process.env;
  const chosen = env.CHROMIUM_PATH;
  if (chosen) {
    const path = chosen.includes('/') ? resolve(env.INIT_CWD || options.cwd || process.cwd(), chosen) : onPath(chosen, env);
    const answer = path === undefined ? { failure: 'not on PATH' } : versionOf(path, env);
    if (answer.version !== undefined) return { path, version: answer.version, from: 'CHROMIUM_PATH' };
    return {
      problem: `CHROMIUM_PATH=${chosen} does not run (\`--version\`: ${answer.failure}); point it at a Chromium binary, or unset it to use the one found or installed.`,
    };
  }
  for (const { path, from } of candidates(options)) {
    const answer = versionOf(path, env);
    if (answer.version !== undefined) return { path, version: answer.version, from };
  }
  return undefined;
}

/**
 * The commands that install Debian's chromium here, or undefined when this process may not:
 * it needs apt-get, and root or a sudo that does not ask for a password (a prompt would
 * hang a test run). Each is run with DEBIAN_FRONTEND=noninteractive in its environment;
 * through sudo, which resets the environment, `env` sets it again.
 */
export function installCommands({ env = process.env, uid = process.getuid?.() ?? -1 } = {}) {
  const aptGet = onPath('apt-get', env);
  if (aptGet === undefined) return undefined;
  if (uid === 0) {
    return [
      [aptGet, 'update'],
      [aptGet, 'install', '-y', 'chromium'],
    ];
  }
  const sudo = onPath('sudo', env);
  if (sudo === undefined || spawnSync(sudo, ['-n', 'true'], { env, stdio: 'ignore', timeout: VERSION_TIMEOUT_MS }).status !== 0) {
    return undefined;
  }
  return [
    [sudo, '-n', aptGet, 'update'],
    [sudo, '-n', 'env', 'DEBIAN_FRONTEND=noninteractive', aptGet, 'install', '-y', 'chromium'],
  ];
}

const FIX = 'set CHROMIUM_PATH=/path/to/chromium, or run `sudo apt-get install chromium`, then `npm test` again.';

/**
 * The CLI: finds Chromium, installing Debian's when it can; returns the exit code. `out`
 * and `err` get one line each (apt-get's own output goes to this process's stdout/stderr).
 */
export function main({ out = console.log, err = console.error, ...options } = {}) {
  const env = options.env ?? process.env;
  const say = (found) => out(`Chromium for the tests: ${found.path} (${found.version}; ${found.from})`);
  const found = findChromium(options);
  if (found?.problem !== undefined) {
    err(found.problem);
    return 1;
  }
  if (found !== undefined) {
    say(found);
    return 0;
  }
  const commands = installCommands(options);
  if (commands === undefined) {
    err(
      `No Chromium found for the browser tests (looked in Playwright's cache, /usr/bin/chromium and PATH) and no way to install one here: ${FIX}`,
    );
    return 1;
  }
  out(`No Chromium found: installing Debian's chromium (${commands.map((command) => command.join(' ')).join(' && ')})`);
  for (const [command, ...args] of commands) {
    const run = spawnSync(command, args, { env: { ...env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: 'inherit' });
    if (run.status !== 0) {
      err(
        `\`${[command, ...args].join(' ')}\` failed (${run.error?.code ?? (run.signal ? `killed by ${run.signal}` : `exit ${run.status}`)}): ${FIX}`,
      );
      return 1;
    }
  }
  const installed = findChromium(options);
  if (installed === undefined || installed.problem !== undefined) {
    err(`apt-get installed chromium, yet no Chromium answers \`--version\`: ${FIX}`);
    return 1;
  }
  say(installed);
  return 0;
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main();
}
