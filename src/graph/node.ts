// A node of a Graph, as users hold it, and the types of what nodes hold.
import type { Shape, Tensor } from '../tensor';
import type { Graph } from './graph';

/** What a node holds: a number for a scalar, a Tensor for a tensor. */
export type NodeValue = number | Tensor;

/**
 * A node of one Graph. Read its value and gradient from the graph that made it. `V`
 * tells TypeScript whether it is a scalar (number) or a tensor.
 */
export class Node<V extends NodeValue = NodeValue> {
  /** Type-level only: what value() and grad() return for this node. */
  declare readonly valueType?: V;

  constructor(
    readonly graph: Graph,
    readonly id: number,
  ) {}

  /** The op's name, or 'input', 'param', 'const', 'labels'. */
  get op(): string {
    return this.graph.opOf(this.id);
  }

  /** [] for a scalar. */
  get shape(): Shape {
    return this.graph.shapeOf(this.id);
  }

  get value(): V {
    return this.graph.value(this);
  }

  get grad(): V {
    return this.graph.grad(this);
  }

  /** The nodes this op reads (a fixed constant such as scale's factor is part of the op). */
  get inputs(): Node[] {
    return this.graph.inputsOf(this.id).map((id) => new Node(this.graph, id));
  }

  /** The op as drawn on a gate, with its fixed constant: "mul", "scale -1", "pow 0.5". */
  get gate(): string {
    return this.graph.gateLabel(this.id);
  }

  toString(): string {
    return this.graph.label(this.id);
  }
}

/** An operand: a node of this graph, or a number that becomes a constant. */
export type Operand = Node | number;

export type ValueOf<O> = O extends Node<infer V> ? V : number;
/** An elementwise op's result: a tensor if either operand is one. */
export type Combined<A, B> = [ValueOf<A>] extends [number] ? ValueOf<B> : ValueOf<A>;
