// The activations a visitor may choose for a hidden layer (the spiral's and MNIST's).
import { nn } from 'wasmgrad';

export type ActivationName = 'relu' | 'tanh' | 'sigmoid';

export const ACTIVATIONS: Record<ActivationName, () => nn.Module> = {
  relu: () => new nn.ReLU(),
  tanh: () => new nn.Tanh(),
  sigmoid: () => new nn.Sigmoid(),
};
