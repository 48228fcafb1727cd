export * from './types';
export * from './navigation';
export { computeMeasures, orderMeasures, ALL_MEASURES } from './compute';
export * from './stop';
export * from './failure';
export * from './action-class';
