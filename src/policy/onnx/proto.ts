/**
 * The ONNX protobuf schema (onnx-proto), for reading model files at load time. Dev tools that
 * write models (dev/onnx/build.ts) use it too, so reader and writer share one schema.
 */
import onnxProto from 'onnx-proto';

// onnx-proto is CommonJS; its default export is the generated root with the `onnx` namespace.
export const onnx = (onnxProto as unknown as { onnx: typeof import('onnx-proto').onnx }).onnx;
