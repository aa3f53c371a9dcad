// A circuit's failure in the words of its formula rather than the Graph's internal node
// names ("forward: exp#11 (exp of scale#10 = 796) is Infinity" → "e^796 is too large…"),
// from the fields of the library's NonFiniteError: the op and what it was given.
import { NonFiniteError } from 'wasmgrad';

export function plainError(error: unknown): string {
  if (!(error instanceof NonFiniteError)) {
    return `These inputs cannot be computed: ${error instanceof Error ? error.message : String(error)}`;
  }
  const first = error.inputs?.[0] === undefined ? '?' : shown(error.inputs[0]);
  const fix = 'Change an input to bring it back.';
  if (error.op === 'exp' && error.value === Number.POSITIVE_INFINITY) {
    return `e^${first} is too large for a number (the largest is about 1.8·10³⁰⁸), so the circuit has no value at these inputs. ${fix}`;
  }
  if (error.op === 'recip') return `1/x at x = ${first} is not a finite number, so the circuit has no value at these inputs. ${fix}`;
  if (error.op === 'log') return `log(${first}) is not defined for a number ≤ 0, so the circuit has no value at these inputs. ${fix}`;
  const what = error.kind === 'gradient' ? 'passes back a gradient of' : 'gives';
  return `The ${error.op} gate ${what} ${shown(error.value)} at these inputs, not a finite number. ${fix}`;
}

/** As the Graph's messages show a number (six significant digits), with the drawings' typographic minus. */
function shown(x: number): string {
  return String(Number(x.toPrecision(6))).replace(/-/g, '−');
}
