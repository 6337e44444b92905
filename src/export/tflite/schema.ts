// The parts of the TFLite FlatBuffer schema (version 3, file identifier "TFL3";
// tensorflow/compiler/mlir/lite/schema/schema.fbs) that the form scorer needs.
// Numbers are the schema's: enum values, union member indices and the field
// slots of every table we read or write (a slot is the field's position in its
// table, a union taking two: its type and then its value).

export const SCHEMA_VERSION = 3;
export const FILE_IDENTIFIER = 'TFL3';

export enum TensorType {
  FLOAT32 = 0,
  FLOAT16 = 1,
  INT32 = 2,
  UINT8 = 3,
  INT64 = 4,
  BOOL = 6,
  INT8 = 9,
}

/** Bytes per element of the tensor types we write. */
export const TENSOR_TYPE_BYTES: Partial<Record<TensorType, number>> = {
  [TensorType.FLOAT32]: 4,
  [TensorType.FLOAT16]: 2,
  [TensorType.INT32]: 4,
  [TensorType.UINT8]: 1,
  [TensorType.INT64]: 8,
  [TensorType.BOOL]: 1,
  [TensorType.INT8]: 1,
};

/** BuiltinOperator values (the enum is int32; below 127 they also fit deprecated_builtin_code). */
export enum BuiltinOperator {
  ADD = 0,
  CONCATENATION = 2,
  CONV_2D = 3,
  DEQUANTIZE = 6,
  FULLY_CONNECTED = 9,
  LOGISTIC = 14,
  MAX_POOL_2D = 17,
  MUL = 18,
  RESHAPE = 22,
  SOFTMAX = 25,
  TANH = 28,
  UNIDIRECTIONAL_SEQUENCE_LSTM = 44,
  STRIDED_SLICE = 45,
  SPLIT = 49,
  SLICE = 65,
  REVERSE_V2 = 105,
  PLACEHOLDER_FOR_GREATER_OP_CODES = 127,
}

/** Members of the BuiltinOptions union: the index written in builtin_options_type. */
export enum BuiltinOptions {
  NONE = 0,
  Conv2DOptions = 1,
  Pool2DOptions = 5,
  FullyConnectedOptions = 8,
  SoftmaxOptions = 9,
  ConcatenationOptions = 10,
  AddOptions = 11,
  ReshapeOptions = 17,
  MulOptions = 21,
  StridedSliceOptions = 32,
  SplitOptions = 35,
  DequantizeOptions = 38,
  SliceOptions = 48,
  UnidirectionalSequenceLSTMOptions = 71,
  ReverseV2Options = 81,
}

export enum Padding {
  SAME = 0,
  VALID = 1,
}

export enum ActivationFunctionType {
  NONE = 0,
  RELU = 1,
  RELU_N1_TO_1 = 2,
  RELU6 = 3,
  TANH = 4,
}

/** Field slots per table. */
export const Slot = {
  Model: { version: 0, operator_codes: 1, subgraphs: 2, description: 3, buffers: 4, metadata_buffer: 5, metadata: 6, signature_defs: 7 },
  SubGraph: { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 },
  Tensor: { shape: 0, type: 1, buffer: 2, name: 3, quantization: 4, is_variable: 5, sparsity: 6, shape_signature: 7, has_rank: 8 },
  Buffer: { data: 0, offset: 1, size: 2 },
  Operator: {
    opcode_index: 0, inputs: 1, outputs: 2, builtin_options_type: 3, builtin_options: 4,
    custom_options: 5, custom_options_format: 6, mutating_variable_inputs: 7, intermediates: 8,
  },
  OperatorCode: { deprecated_builtin_code: 0, custom_code: 1, version: 2, builtin_code: 3 },
  Metadata: { name: 0, buffer: 1 },
  TensorMap: { name: 0, tensor_index: 1 },
  SignatureDef: { inputs: 0, outputs: 1, signature_key: 2, deprecated_tag: 3, subgraph_index: 4 },
  Conv2DOptions: { padding: 0, stride_w: 1, stride_h: 2, fused_activation_function: 3, dilation_w_factor: 4, dilation_h_factor: 5 },
  Pool2DOptions: { padding: 0, stride_w: 1, stride_h: 2, filter_width: 3, filter_height: 4, fused_activation_function: 5 },
  FullyConnectedOptions: { fused_activation_function: 0, weights_format: 1, keep_num_dims: 2, asymmetric_quantize_inputs: 3 },
  ConcatenationOptions: { axis: 0, fused_activation_function: 1 },
  AddOptions: { fused_activation_function: 0, pot_scale_int16: 1 },
  MulOptions: { fused_activation_function: 0 },
  ReshapeOptions: { new_shape: 0 },
  SplitOptions: { num_splits: 0 },
  StridedSliceOptions: { begin_mask: 0, end_mask: 1, ellipsis_mask: 2, new_axis_mask: 3, shrink_axis_mask: 4, offset: 5 },
  UnidirectionalSequenceLSTMOptions: {
    fused_activation_function: 0, cell_clip: 1, proj_clip: 2, time_major: 3,
    asymmetric_quantize_inputs: 4, diagonal_recurrent_tensors: 5,
  },
} as const;

/** The 24 inputs of UNIDIRECTIONAL_SEQUENCE_LSTM, in the kernel's order (-1 = absent). */
export const LSTM_INPUTS = [
  'input',
  'input_to_input_weights', 'input_to_forget_weights', 'input_to_cell_weights', 'input_to_output_weights',
  'recurrent_to_input_weights', 'recurrent_to_forget_weights', 'recurrent_to_cell_weights', 'recurrent_to_output_weights',
  'cell_to_input_weights', 'cell_to_forget_weights', 'cell_to_output_weights',
  'input_gate_bias', 'forget_gate_bias', 'cell_gate_bias', 'output_gate_bias',
  'projection_weights', 'projection_bias',
  'output_state', 'cell_state',
  'input_layer_norm_coefficients', 'forget_layer_norm_coefficients', 'cell_layer_norm_coefficients', 'output_layer_norm_coefficients',
] as const;

export const builtinOperatorName = (code: number): string => BuiltinOperator[code] ?? `BUILTIN_${code}`;
