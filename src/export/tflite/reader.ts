// Reads a TFLite FlatBuffer back into a ModelDef with the `flatbuffers` ByteBuffer:
// for round-trip tests of our writer, for inspecting TensorFlow's own files (the
// fixtures) and for printing the operator codes and versions of an export.

import { ByteBuffer } from 'flatbuffers';
import { BuiltinOperator, FILE_IDENTIFIER, Slot, builtinOperatorName } from './schema.js';
import { OPTION_FIELDS } from './model.js';
import type { ModelDef, OperatorCodeDef, OperatorDef, OptionValue, SubGraphDef, TensorDef } from './model.js';

/** A table position in the buffer with typed field access by slot. */
class Table {
  constructor(readonly bb: ByteBuffer, readonly pos: number) {}

  private field(slot: number): number {
    return this.bb.__offset(this.pos, 4 + 2 * slot);
  }
  has(slot: number): boolean {
    return this.field(slot) !== 0;
  }
  /** A field read with `read` at its position, or `absent` when the table does not have it. */
  private value<T>(slot: number, absent: T, read: (position: number) => T): T {
    const o = this.field(slot);
    return o ? read(this.pos + o) : absent;
  }
  int8(slot: number, dflt = 0): number {
    return this.value(slot, dflt, (p) => this.bb.readInt8(p));
  }
  uint8(slot: number, dflt = 0): number {
    return this.value(slot, dflt, (p) => this.bb.readUint8(p));
  }
  int32(slot: number, dflt = 0): number {
    return this.value(slot, dflt, (p) => this.bb.readInt32(p));
  }
  uint32(slot: number, dflt = 0): number {
    return this.value(slot, dflt, (p) => this.bb.readUint32(p));
  }
  float32(slot: number, dflt = 0): number {
    return this.value(slot, dflt, (p) => this.bb.readFloat32(p));
  }
  string(slot: number): string {
    return this.value(slot, '', (p) => this.bb.__string(p) as string);
  }
  table(slot: number): Table | null {
    return this.value<Table | null>(slot, null, (p) => new Table(this.bb, this.bb.__indirect(p)));
  }
  /** [start, length] of a vector field, or null when absent. */
  private vector(slot: number): [number, number] | null {
    return this.value<[number, number] | null>(slot, null, (p) => [this.bb.__vector(p), this.bb.__vector_len(p)]);
  }
  int32s(slot: number): number[] {
    const v = this.vector(slot);
    if (!v) return [];
    return Array.from({ length: v[1] }, (_, i) => this.bb.readInt32(v[0] + 4 * i));
  }
  bools(slot: number): boolean[] {
    const v = this.vector(slot);
    if (!v) return [];
    return Array.from({ length: v[1] }, (_, i) => this.bb.readUint8(v[0] + i) !== 0);
  }
  bytes(slot: number): Uint8Array {
    const v = this.vector(slot);
    return v ? this.bb.bytes().slice(v[0], v[0] + v[1]) : new Uint8Array(0);
  }
  tables(slot: number): Table[] {
    const v = this.vector(slot);
    if (!v) return [];
    return Array.from({ length: v[1] }, (_, i) => new Table(this.bb, this.bb.__indirect(v[0] + 4 * i)));
  }
}

function readOptions(op: Table): OperatorDef['options'] {
  const type = op.uint8(Slot.Operator.builtin_options_type);
  if (type === 0) return undefined;
  const t = op.table(Slot.Operator.builtin_options);
  const fields = OPTION_FIELDS[type as keyof typeof OPTION_FIELDS];
  const values: Record<string, OptionValue> = {};
  if (t && fields) {
    for (const f of fields) {
      if (!t.has(f.slot)) continue;
      switch (f.kind) {
        case 'int8': values[f.name] = t.int8(f.slot); break;
        case 'int32': values[f.name] = t.int32(f.slot); break;
        case 'float32': values[f.name] = t.float32(f.slot); break;
        case 'bool': values[f.name] = t.uint8(f.slot) !== 0; break;
        case 'int32[]': values[f.name] = t.int32s(f.slot); break;
      }
    }
  }
  return { type, values };
}

function readTensor(t: Table): TensorDef {
  const tensor: TensorDef = {
    name: t.string(Slot.Tensor.name),
    shape: t.int32s(Slot.Tensor.shape),
    type: t.int8(Slot.Tensor.type),
    buffer: t.uint32(Slot.Tensor.buffer),
  };
  if (t.uint8(Slot.Tensor.is_variable)) tensor.isVariable = true;
  return tensor;
}

function readSubgraph(g: Table): SubGraphDef {
  return {
    name: g.string(Slot.SubGraph.name),
    tensors: g.tables(Slot.SubGraph.tensors).map(readTensor),
    inputs: g.int32s(Slot.SubGraph.inputs),
    outputs: g.int32s(Slot.SubGraph.outputs),
    operators: g.tables(Slot.SubGraph.operators).map((op) => {
      const def: OperatorDef = {
        opcodeIndex: op.uint32(Slot.Operator.opcode_index),
        inputs: op.int32s(Slot.Operator.inputs),
        outputs: op.int32s(Slot.Operator.outputs),
      };
      const options = readOptions(op);
      if (options) def.options = options;
      const mutating = op.bools(Slot.Operator.mutating_variable_inputs);
      if (mutating.length) def.mutatingVariableInputs = mutating;
      return def;
    }),
  };
}

function readOperatorCode(c: Table): OperatorCodeDef {
  // Files from before schema 3a have only the byte field; newer ones carry both and
  // the larger of the two is the real code (the byte saturates at the placeholder 127).
  const deprecated = c.int8(Slot.OperatorCode.deprecated_builtin_code);
  const builtin = c.int32(Slot.OperatorCode.builtin_code);
  return { builtinCode: Math.max(deprecated, builtin), version: c.int32(Slot.OperatorCode.version, 1) };
}

/** Parses TFLite bytes; throws a one-line error when they are not a TFLite model. */
export function readTflite(bytes: Uint8Array, what = 'model'): ModelDef {
  if (bytes.length < 8) throw new Error(`${what}: too short to be a TFLite model (${bytes.length} bytes)`);
  const bb = new ByteBuffer(bytes);
  if (!bb.__has_identifier(FILE_IDENTIFIER)) throw new Error(`${what}: not a TFLite model (file identifier is not ${FILE_IDENTIFIER})`);
  const m = new Table(bb, bb.readInt32(0));
  return {
    version: m.uint32(Slot.Model.version),
    description: m.string(Slot.Model.description),
    operatorCodes: m.tables(Slot.Model.operator_codes).map(readOperatorCode),
    subgraphs: m.tables(Slot.Model.subgraphs).map(readSubgraph),
    buffers: m.tables(Slot.Model.buffers).map((b) => b.bytes(Slot.Buffer.data)),
    metadata: m.tables(Slot.Model.metadata).map((t) => ({ name: t.string(Slot.Metadata.name), buffer: t.uint32(Slot.Metadata.buffer) })),
    signatureDefs: m.tables(Slot.Model.signature_defs).map((s) => ({
      signatureKey: s.string(Slot.SignatureDef.signature_key),
      inputs: s.tables(Slot.SignatureDef.inputs).map((t) => ({ name: t.string(Slot.TensorMap.name), tensorIndex: t.uint32(Slot.TensorMap.tensor_index) })),
      outputs: s.tables(Slot.SignatureDef.outputs).map((t) => ({ name: t.string(Slot.TensorMap.name), tensorIndex: t.uint32(Slot.TensorMap.tensor_index) })),
      subgraphIndex: s.uint32(Slot.SignatureDef.subgraph_index),
    })),
  };
}

export interface OperatorUse {
  op: string;
  code: number;
  version: number;
  /** How many operators of the main subgraph use it. */
  count: number;
}

/** Operator codes with versions and use counts, in the model's operator_codes order. */
export function operatorSummary(model: ModelDef): OperatorUse[] {
  const counts = new Array(model.operatorCodes.length).fill(0);
  for (const op of model.subgraphs[0]?.operators ?? []) counts[op.opcodeIndex]++;
  return model.operatorCodes.map((c, i) => ({ op: builtinOperatorName(c.builtinCode), code: c.builtinCode, version: c.version, count: counts[i] }));
}

/** The text of a metadata entry (e.g. min_runtime_version), without trailing NULs. */
export function metadataText(model: ModelDef, name: string): string | undefined {
  const m = model.metadata.find((e) => e.name === name);
  if (!m) return undefined;
  return new TextDecoder().decode(model.buffers[m.buffer]).replace(/\0+$/, '');
}

export { BuiltinOperator };
