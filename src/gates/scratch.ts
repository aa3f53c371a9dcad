import { allocate } from '../wasm/instance';

// Two f64 for scalar_backward's results, allocated once.
let ptr = 0;

export function scratch(): number {
  if (ptr === 0) ptr = allocate(16, 'gate scratch');
  return ptr;
}
