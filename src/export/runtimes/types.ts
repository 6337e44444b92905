// What the verification needs from a TFLite runtime: load bytes, describe I/O, run one sample.

export interface TensorInfo {
  name: string;
  shape: number[];
  dtype: string;
}

export interface LoadedTfliteModel {
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  /** One sample in (flat, the input's exact shape), the first output out. */
  run(input: Float32Array): Promise<Float32Array>;
  dispose(): void;
}

export interface TfliteRuntime {
  /** 'tfjs-tflite' or 'litert'. */
  readonly name: RuntimeName;
  /** Package and version, e.g. "@tensorflow/tfjs-tflite 0.0.1-alpha.10". */
  readonly label: string;
  load(bytes: Uint8Array): Promise<LoadedTfliteModel>;
}

export type RuntimeName = 'tfjs-tflite' | 'litert';
