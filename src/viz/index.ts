// The `wasmgrad/viz` entry: a Graph drawn as the lecture draws circuits (SVG text, no
// DOM). Its own entry so that the layout library stays out of the main bundle.
export { escapeXml, formatNumber } from './format';
export { gateSymbol, type NodeKind, readGraph, type Shown, type TensorShown, type VizModel, type VizNode } from './model';
export { type DrawOptions, drawGraph } from './svg';
