import type { Tensor } from '../tensor';
import { release } from '../wasm/instance';

/** A Graph compiled to linear memory: values, gradients and tapes, run by one wasm call a pass. */
export interface Program {
  /** How many nodes it was compiled for. */
  readonly size: number;
  /** Writes an input's value (already checked by the Graph). */
  setInput(id: number, value: number | Tensor | ArrayLike<number>): void;
  /** Runs every op; returns -1, or the id of the first op whose output is not finite. */
  forward(): number;
  /** Backpropagates from `target`; -1, or the id of the first op that made a gradient not finite. */
  backward(target: number): number;
  /** A value: a number for a scalar node, else a Tensor view the program owns. */
  value(id: number): number | Tensor;
  grad(id: number): number | Tensor;
  /** A leaf's live values, copied (to carry params over to the next program). */
  leafValues(id: number): Float64Array;
  setLeaf(id: number, values: ArrayLike<number>): void;
  /** Training mode (dropout drops) or evaluation, for the next forward. */
  setTraining(training: boolean): void;
  free(): void;
}

/** A compiled run of instructions in linear memory. */
export interface Tape {
  ptr: number;
  count: number;
  /** Node id of each instruction, to name the op that went wrong. */
  nodes: Int32Array;
}

const collector = new FinalizationRegistry<number[]>(releaseAll);

function releaseAll(blocks: number[]): void {
  for (const ptr of blocks) release(ptr);
  blocks.length = 0;
}

/** The blocks of linear memory a program holds: freed by free(), or when the program is collected. */
export class ProgramMemory {
  private readonly blocks: number[] = [];

  constructor(owner: object) {
    collector.register(owner, this.blocks, this);
  }

  /** Takes `ptr` into the program's keeping; returns it. */
  hold(ptr: number): number {
    this.blocks.push(ptr);
    return ptr;
  }

  free(): void {
    releaseAll(this.blocks);
    collector.unregister(this);
  }
}
