import { relaxedSimdSupported } from './features';

/** Which build of the core to load: relaxed SIMD (FMA) where the engine has it, else plain SIMD128. */
export type SimdChoice = 'auto' | 'relaxed' | 'plain';

export function chooseRelaxed(choice: SimdChoice = 'auto'): boolean {
  return choice === 'relaxed' || (choice === 'auto' && relaxedSimdSupported());
}
