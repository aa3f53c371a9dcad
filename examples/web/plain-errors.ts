// A circuit's failure in the words of its formula rather than the Graph's internal node
// names ("forward: exp#11 (exp of scale#10 = 796) is Infinity" → "e^796 is too large…").
// The Graph's message is the only place that names the gate, so it is read here.

const FORWARD = /^forward: (\w+)#\d+ \(([^ ]+) of (.*)\) is (.+)$/;

export function plainError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const match = FORWARD.exec(message);
  if (match === null) return `These inputs cannot be computed: ${message}`;
  const [, op, , operands = '', result = ''] = match;
  const inputs = [...operands.matchAll(/= ([^,]+)/g)].map((m) => (m[1] ?? '').trim().replace(/-/g, '−'));
  const first = inputs[0] ?? '?';
  const fix = 'Change an input to bring it back.';
  if (op === 'exp' && result.includes('Infinity')) {
    return `e^${first} is too large for a number (the largest is about 1.8·10³⁰⁸), so the circuit has no value at these inputs. ${fix}`;
  }
  if (op === 'recip') return `1/x at x = ${first} is not a finite number, so the circuit has no value at these inputs. ${fix}`;
  if (op === 'log') return `log(${first}) is not defined for a number ≤ 0, so the circuit has no value at these inputs. ${fix}`;
  return `The ${op} gate gives ${result.replace(/-/g, '−')} at these inputs, not a finite number. ${fix}`;
}
