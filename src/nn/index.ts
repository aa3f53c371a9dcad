// The neural-network layer: modules, losses, optimizers and the training loop.
export {
  type ModelWorker,
  type OptimizerSpec,
  type ProgressListener,
  type TensorData,
  type WorkerDataset,
  type WorkerFitOptions,
  type WorkerOptions,
  type WorkerTensor,
  worker,
} from '../worker/client';
// Every activation layer, and ACTIVATIONS, the list by name that model files use.
export * from './activations';
export { type Batch, DataLoader, type DataLoaderOptions, type Targets } from './data-loader';
export type { Init } from './init';
export { Linear, type LinearOptions } from './linear';
export { type LossFunction, type LossName, type LossResult, mse, softmaxCrossEntropy, svmLoss } from './losses';
export { Maxout } from './maxout';
export type { BackwardOptions, Module, Parameter } from './module';
export { Adam, type AdamOptions, Optimizer, SGD, type SGDOptions } from './optim';
export { Sequential } from './sequential';
export { load, loadInto, save } from './serialize';
export { argmax, type Dataset, type EpochRecord, type Evaluation, evaluate, type FitOptions, fit, type Progress } from './train';
