// A TFLite model as plain data: what the writer serialises and the reader returns.
// Indices follow the schema: tensors name buffers by index (0 = the empty sentinel
// buffer), operators name operator codes and tensors by index (-1 = optional input
// left out).

import { BuiltinOptions, TensorType } from './schema.js';

export interface TensorDef {
  name: string;
  shape: number[];
  type: TensorType;
  /** Index into ModelDef.buffers; 0 for tensors without constant data. */
  buffer: number;
  /** State that an operator reads and overwrites (LSTM output and cell state). */
  isVariable?: boolean;
}

export interface OperatorCodeDef {
  builtinCode: number;
  version: number;
}

export type OptionValue = number | boolean | number[];

export interface OptionsDef {
  type: BuiltinOptions;
  /** Field name (schema spelling) → value; missing fields take the schema default. */
  values: Record<string, OptionValue>;
}

export interface OperatorDef {
  opcodeIndex: number;
  inputs: number[];
  outputs: number[];
  options?: OptionsDef;
  mutatingVariableInputs?: boolean[];
}

export interface SubGraphDef {
  name: string;
  tensors: TensorDef[];
  inputs: number[];
  outputs: number[];
  operators: OperatorDef[];
}

export interface TensorMapDef {
  name: string;
  tensorIndex: number;
}

export interface SignatureDefDef {
  signatureKey: string;
  inputs: TensorMapDef[];
  outputs: TensorMapDef[];
  subgraphIndex: number;
}

export interface MetadataDef {
  name: string;
  buffer: number;
}

export interface ModelDef {
  version: number;
  description: string;
  operatorCodes: OperatorCodeDef[];
  subgraphs: SubGraphDef[];
  /** buffers[0] must be empty (the schema's sentinel). */
  buffers: Uint8Array[];
  metadata: MetadataDef[];
  signatureDefs: SignatureDefDef[];
}

type FieldKind = 'int8' | 'int32' | 'float32' | 'bool' | 'int32[]';
export interface OptionField {
  name: string;
  slot: number;
  kind: FieldKind;
  default: number | boolean | null;
}

const f = (name: string, slot: number, kind: FieldKind, dflt: number | boolean | null = kind === 'bool' ? false : kind === 'int32[]' ? null : 0): OptionField =>
  ({ name, slot, kind, default: dflt });

/** Field layouts of the options tables we use (schema.fbs order and defaults). */
export const OPTION_FIELDS: Partial<Record<BuiltinOptions, OptionField[]>> = {
  [BuiltinOptions.Conv2DOptions]: [
    f('padding', 0, 'int8'), f('stride_w', 1, 'int32'), f('stride_h', 2, 'int32'),
    f('fused_activation_function', 3, 'int8'), f('dilation_w_factor', 4, 'int32', 1), f('dilation_h_factor', 5, 'int32', 1),
  ],
  [BuiltinOptions.Pool2DOptions]: [
    f('padding', 0, 'int8'), f('stride_w', 1, 'int32'), f('stride_h', 2, 'int32'),
    f('filter_width', 3, 'int32'), f('filter_height', 4, 'int32'), f('fused_activation_function', 5, 'int8'),
  ],
  [BuiltinOptions.FullyConnectedOptions]: [
    f('fused_activation_function', 0, 'int8'), f('weights_format', 1, 'int8'),
    f('keep_num_dims', 2, 'bool'), f('asymmetric_quantize_inputs', 3, 'bool'),
  ],
  [BuiltinOptions.SoftmaxOptions]: [f('beta', 0, 'float32')],
  [BuiltinOptions.ConcatenationOptions]: [f('axis', 0, 'int32'), f('fused_activation_function', 1, 'int8')],
  [BuiltinOptions.AddOptions]: [f('fused_activation_function', 0, 'int8'), f('pot_scale_int16', 1, 'bool', true)],
  [BuiltinOptions.MulOptions]: [f('fused_activation_function', 0, 'int8')],
  [BuiltinOptions.ReshapeOptions]: [f('new_shape', 0, 'int32[]')],
  [BuiltinOptions.SplitOptions]: [f('num_splits', 0, 'int32')],
  [BuiltinOptions.StridedSliceOptions]: [
    f('begin_mask', 0, 'int32'), f('end_mask', 1, 'int32'), f('ellipsis_mask', 2, 'int32'),
    f('new_axis_mask', 3, 'int32'), f('shrink_axis_mask', 4, 'int32'), f('offset', 5, 'bool'),
  ],
  [BuiltinOptions.DequantizeOptions]: [],
  [BuiltinOptions.SliceOptions]: [],
  [BuiltinOptions.ReverseV2Options]: [],
  [BuiltinOptions.UnidirectionalSequenceLSTMOptions]: [
    f('fused_activation_function', 0, 'int8'), f('cell_clip', 1, 'float32'), f('proj_clip', 2, 'float32'),
    f('time_major', 3, 'bool'), f('asymmetric_quantize_inputs', 4, 'bool'), f('diagonal_recurrent_tensors', 5, 'bool'),
  ],
};
