// The browser-plain project: Chromium has relaxed SIMD, so init() alone would load the
// FMA build. Loading the plain build first makes every spec's own init() (idempotent)
// resolve to it.
import { init } from '../../src/index';

await init({ simd: 'plain' });
