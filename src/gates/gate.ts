// The lecture's modular API: forward(...) computes and keeps what backward needs,
// backward(dout) applies the chain rule locally and returns one gradient per input.
// The rules themselves are the wasm module's (assembly/scalar.ts), the same code the
// compiled Graph runs; a gate only decides what to cache and checks its inputs.
import { describe, StateError, ValueError } from '../errors';
import { type Cached, OPS, type OpName } from '../ops';
import { f64, wasm } from '../wasm/instance';
import { scratch } from './scratch';

/** A gate's cache: its inputs x, y and its output, whichever its backward reads. */
export type GateCache = { x?: number; y?: number; out?: number };

const CACHE_KEY = { a: 'x', b: 'y', out: 'out' } as const satisfies Record<Cached, keyof GateCache>;

export abstract class Gate {
  /** What the last forward kept for backward: exactly the values the rule reads. */
  protected cache: GateCache | null = null;

  protected constructor(
    protected readonly op: OpName,
    /** The fixed parameter of scale, offset, leaky ReLU and ELU. */
    protected readonly constant = 0,
  ) {}

  /** The values kept by the last forward (for inspection and teaching). */
  get cached(): Readonly<GateCache> | null {
    return this.cache;
  }

  protected get inputNames(): readonly string[] {
    return OPS[this.op].arity === 2 ? ['x', 'y'] : ['x'];
  }

  protected run(args: readonly unknown[]): number {
    const names = this.inputNames;
    if (args.length !== names.length) {
      throw new ValueError(`${this.constructor.name}.forward: takes ${names.length} input(s) (${names.join(', ')}), got ${args.length}`);
    }
    args.forEach((value, i) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new ValueError(`${this.constructor.name}.forward: input ${names[i]} must be a finite number, got ${describe(value)}`);
      }
    });
    const a = args[0] as number;
    const b = names.length === 2 ? (args[1] as number) : this.constant;
    const out = wasm().scalar_forward(OPS[this.op].code, a, b);
    if (!Number.isFinite(out)) {
      throw new ValueError(`${this.constructor.name}.forward: ${this.op}(${args.join(', ')}) is ${out}, outside the op's domain`);
    }
    const values: Record<Cached, number> = { a, b, out };
    const cache: GateCache = {};
    for (const key of OPS[this.op].reads) {
      // A fixed parameter (scale's a, α) is the gate's own, not something forward keeps.
      if (key === 'b' && OPS[this.op].arity === 'const') continue;
      cache[CACHE_KEY[key]] = values[key];
    }
    this.cache = cache;
    return out;
  }

  /** Gradients of the loss w.r.t. each input, in input order, given dL/d(output). */
  backward(dout: number): number[] {
    const name = this.constructor.name;
    if (this.cache === null) throw new StateError(`${name}.backward: called before forward`);
    if (typeof dout !== 'number' || !Number.isFinite(dout)) {
      throw new ValueError(`${name}.backward: dout must be a finite number, got ${describe(dout)}`);
    }
    const { x = 0, y = this.constant, out = 0 } = this.cache;
    const ptr = scratch();
    wasm().scalar_backward(OPS[this.op].code, x, y, out, dout, ptr);
    const view = f64();
    const grads = this.inputNames.map((_, i) => view[(ptr >>> 3) + i] as number);
    grads.forEach((grad, i) => {
      if (!Number.isFinite(grad)) {
        throw new ValueError(`${name}.backward: the gradient for ${this.inputNames[i]} is ${grad} (cached ${JSON.stringify(this.cache)})`);
      }
    });
    return grads;
  }
}

/** f(x, y): forward(x, y) → number, backward(dout) → [dx, dy]. */
export abstract class BinaryGate extends Gate {
  forward(...inputs: [x: number, y: number]): number {
    return this.run(inputs);
  }
}

/** f(x): forward(x) → number, backward(dout) → [dx]. */
export abstract class UnaryGate extends Gate {
  forward(...inputs: [x: number]): number {
    return this.run(inputs);
  }
}

/** A gate's fixed parameter (scale's a, offset's c, α), checked once at construction. */
export function finiteParameter(gate: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValueError(`${gate}: ${name} must be a finite number, got ${describe(value)}`);
  }
  return value;
}
