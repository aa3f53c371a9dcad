// micrograd's Value, in plain JS: the define-by-run baseline. Every op makes an object
// holding its result, its children and a closure that applies its piece of the chain
// rule; backward() sorts the graph topologically and calls the closures in reverse.
// Code written this way rebuilds the graph on every iteration.

const noop = (): void => {};

export class Value {
  grad = 0;
  _backward: () => void = noop;

  constructor(
    public data: number,
    readonly _prev: readonly Value[] = [],
    readonly _op = '',
  ) {}

  add(other: Value | number): Value {
    const that = other instanceof Value ? other : new Value(other);
    const out = new Value(this.data + that.data, [this, that], '+');
    // add distributes: both inputs get out's gradient
    out._backward = () => {
      this.grad += out.grad;
      that.grad += out.grad;
    };
    return out;
  }

  mul(other: Value | number): Value {
    const that = other instanceof Value ? other : new Value(other);
    const out = new Value(this.data * that.data, [this, that], '*');
    // mul switches: each input gets the other input times out's gradient
    out._backward = () => {
      this.grad += that.data * out.grad;
      that.grad += this.data * out.grad;
    };
    return out;
  }

  relu(): Value {
    const out = new Value(Math.max(this.data, 0), [this], 'ReLU');
    out._backward = () => {
      this.grad += out.data > 0 ? out.grad : 0;
    };
    return out;
  }

  /** Seeds d self/d self = 1 and backpropagates to every Value this one depends on. */
  backward(): void {
    const order = this.topologicalOrder();
    this.grad = 1;
    for (let i = order.length - 1; i >= 0; i--) (order[i] as Value)._backward();
  }

  /**
   * Every Value this one depends on, children before parents: micrograd's depth-first
   * post-order, with an explicit stack instead of recursion, because a sum of 20,000
   * terms is a chain 20,000 calls deep and would overflow the JS stack.
   */
  topologicalOrder(): Value[] {
    const order: Value[] = [];
    const visited = new Set<Value>([this]);
    const path: Value[] = [this];
    const nextChild: number[] = [0];
    while (path.length > 0) {
      const top = path.length - 1;
      const node = path[top] as Value;
      const i = nextChild[top] as number;
      if (i < node._prev.length) {
        nextChild[top] = i + 1;
        const child = node._prev[i] as Value;
        if (!visited.has(child)) {
          visited.add(child);
          path.push(child);
          nextChild.push(0);
        }
      } else {
        path.pop();
        nextChild.pop();
        order.push(node);
      }
    }
    return order;
  }
}
