export { type SpiralOptions, spiral } from './spiral';
