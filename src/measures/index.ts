export * from './types';
export * from './navigation';
export { computeMeasures, orderMeasures } from './compute';
