import { findChromium } from './find-chromium.mjs';

// How every test launches Chromium: the one scripts/find-chromium.mjs finds (npm's pretest
// has already found or installed it; this finds the same one again, never installs),
// headless, with the background services that would reach the network turned off.
// DEVELOPERS.md explains each flag. With no Chromium at all the Node-only projects must
// still run, so the path then falls back to the one the error message should name.
const found = findChromium();

export const chromiumLaunch = {
  executablePath: found?.path ?? (process.env.CHROMIUM_PATH || '/usr/bin/chromium'),
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};
