// Serialises a ModelDef into TFLite FlatBuffer bytes with the `flatbuffers` Builder.
// FlatBuffers are built back to front: children before parents, so the big weight
// buffers are written first and end up at the end of the file, 16-byte aligned as
// the schema's force_align asks (the interpreter may map them in place).
//
// Identical sub-objects are written once and shared by offset (a FlatBuffer is a
// DAG): option tables, shape vectors and the tables of unnamed intermediate
// tensors. The unrolled LSTM has thousands of such tensors and operators, and the
// sharing is what keeps its float16 file under the app's 500 KB budget.

import { Builder } from 'flatbuffers';
import type { Offset } from 'flatbuffers';
import { FILE_IDENTIFIER, Slot } from './schema.js';
import { OPTION_FIELDS } from './model.js';
import type { ModelDef, OperatorDef, OptionsDef, SubGraphDef, TensorDef } from './model.js';

const BUFFER_ALIGN = 16;

class TfliteBuilder {
  readonly b: Builder;
  private readonly shared = new Map<string, Offset>();

  constructor(sizeHint: number) {
    this.b = new Builder(sizeHint);
  }

  /** Returns the offset stored under `key`, building it once. */
  private once(key: string, build: () => Offset): Offset {
    let off = this.shared.get(key);
    if (off === undefined) {
      off = build();
      this.shared.set(key, off);
    }
    return off;
  }

  int32Vector(values: readonly number[]): Offset {
    return this.once(`i32:${values.join(',')}`, () => {
      this.b.startVector(4, values.length, 4);
      for (let i = values.length - 1; i >= 0; i--) this.b.addInt32(values[i]);
      return this.b.endVector();
    });
  }

  boolVector(values: readonly boolean[]): Offset {
    this.b.startVector(1, values.length, 1);
    for (let i = values.length - 1; i >= 0; i--) this.b.addInt8(values[i] ? 1 : 0);
    return this.b.endVector();
  }

  string(s: string): Offset {
    return this.once(`str:${s}`, () => this.b.createString(s));
  }

  tableVector(offsets: readonly Offset[]): Offset {
    this.b.startVector(4, offsets.length, 4);
    for (let i = offsets.length - 1; i >= 0; i--) this.b.addOffset(offsets[i]);
    return this.b.endVector();
  }

  buffer(data: Uint8Array): Offset {
    const b = this.b;
    let dataOff = 0;
    if (data.length > 0) {
      b.startVector(1, data.length, BUFFER_ALIGN);
      // startVector reserved the space; write bytes back to front like addInt8 would.
      for (let i = data.length - 1; i >= 0; i--) b.writeInt8(data[i]);
      dataOff = b.endVector();
    }
    b.startObject(3);
    if (dataOff) b.addFieldOffset(Slot.Buffer.data, dataOff, 0);
    return b.endObject();
  }

  tensor(t: TensorDef): Offset {
    const key = `t:${t.name}|${t.type}|${t.shape.join(',')}|${t.buffer}|${t.isVariable ? 1 : 0}`;
    return this.once(key, () => {
      const b = this.b;
      const shape = this.int32Vector(t.shape);
      const name = t.name ? this.string(t.name) : 0;
      b.startObject(9);
      b.addFieldOffset(Slot.Tensor.shape, shape, 0);
      b.addFieldInt8(Slot.Tensor.type, t.type, 0);
      b.addFieldInt32(Slot.Tensor.buffer, t.buffer, 0);
      if (name) b.addFieldOffset(Slot.Tensor.name, name, 0);
      b.addFieldInt8(Slot.Tensor.is_variable, t.isVariable ? 1 : 0, 0);
      return b.endObject();
    });
  }

  options(o: OptionsDef): Offset {
    const fields = OPTION_FIELDS[o.type];
    if (!fields) throw new Error(`TFLite writer: no layout for builtin options type ${o.type}`);
    for (const name of Object.keys(o.values)) {
      if (!fields.some((f) => f.name === name)) throw new Error(`TFLite writer: options type ${o.type} has no field '${name}'`);
    }
    return this.once(`opt:${o.type}:${JSON.stringify(o.values)}`, () => {
      const b = this.b;
      const vectors = new Map<string, Offset>();
      for (const f of fields) {
        const v = o.values[f.name];
        if (f.kind === 'int32[]' && Array.isArray(v)) vectors.set(f.name, this.int32Vector(v));
      }
      b.startObject(fields.length);
      for (const f of fields) {
        const v = o.values[f.name];
        if (v === undefined) continue;
        switch (f.kind) {
          case 'int8': b.addFieldInt8(f.slot, v as number, f.default as number); break;
          case 'int32': b.addFieldInt32(f.slot, v as number, f.default as number); break;
          case 'float32': b.addFieldFloat32(f.slot, v as number, f.default as number); break;
          case 'bool': b.addFieldInt8(f.slot, v ? 1 : 0, f.default ? 1 : 0); break;
          case 'int32[]': b.addFieldOffset(f.slot, vectors.get(f.name)!, 0); break;
        }
      }
      return b.endObject();
    });
  }

  operator(op: OperatorDef): Offset {
    const b = this.b;
    const inputs = this.int32Vector(op.inputs);
    const outputs = this.int32Vector(op.outputs);
    const options = op.options ? this.options(op.options) : 0;
    const mutating = op.mutatingVariableInputs?.length ? this.boolVector(op.mutatingVariableInputs) : 0;
    b.startObject(9);
    b.addFieldInt32(Slot.Operator.opcode_index, op.opcodeIndex, 0);
    b.addFieldOffset(Slot.Operator.inputs, inputs, 0);
    b.addFieldOffset(Slot.Operator.outputs, outputs, 0);
    if (op.options) {
      b.addFieldInt8(Slot.Operator.builtin_options_type, op.options.type, 0);
      b.addFieldOffset(Slot.Operator.builtin_options, options, 0);
    }
    if (mutating) b.addFieldOffset(Slot.Operator.mutating_variable_inputs, mutating, 0);
    return b.endObject();
  }

  subgraph(g: SubGraphDef): Offset {
    const b = this.b;
    const tensors = this.tableVector(g.tensors.map((t) => this.tensor(t)));
    const inputs = this.int32Vector(g.inputs);
    const outputs = this.int32Vector(g.outputs);
    const operators = this.tableVector(g.operators.map((op) => this.operator(op)));
    const name = g.name ? this.string(g.name) : 0;
    b.startObject(5);
    b.addFieldOffset(Slot.SubGraph.tensors, tensors, 0);
    b.addFieldOffset(Slot.SubGraph.inputs, inputs, 0);
    b.addFieldOffset(Slot.SubGraph.outputs, outputs, 0);
    b.addFieldOffset(Slot.SubGraph.operators, operators, 0);
    if (name) b.addFieldOffset(Slot.SubGraph.name, name, 0);
    return b.endObject();
  }

  tensorMap(name: string, tensorIndex: number): Offset {
    const b = this.b;
    const n = this.string(name);
    b.startObject(2);
    b.addFieldOffset(Slot.TensorMap.name, n, 0);
    b.addFieldInt32(Slot.TensorMap.tensor_index, tensorIndex, 0);
    return b.endObject();
  }
}

/** The TFLite FlatBuffer (file identifier "TFL3") for `model`. */
export function writeTflite(model: ModelDef): Uint8Array {
  if (model.buffers.length === 0 || model.buffers[0].length !== 0) {
    throw new Error('TFLite writer: buffers[0] must be the empty sentinel buffer');
  }
  const dataBytes = model.buffers.reduce((n, d) => n + d.length + BUFFER_ALIGN, 0);
  const tb = new TfliteBuilder(dataBytes + 64 * 1024);
  const b = tb.b;

  // Weight data first: it lands at the end of the file.
  const buffers = tb.tableVector(model.buffers.map((d) => tb.buffer(d)));
  const codes = model.operatorCodes.map((c) => {
    b.startObject(4);
    // Codes above 126 only fit the int32 field; the byte field then holds the placeholder.
    b.addFieldInt8(Slot.OperatorCode.deprecated_builtin_code, Math.min(c.builtinCode, 127), 0);
    b.addFieldInt32(Slot.OperatorCode.version, c.version, 1);
    b.addFieldInt32(Slot.OperatorCode.builtin_code, c.builtinCode, 0);
    return b.endObject();
  });
  const operatorCodes = tb.tableVector(codes);
  const subgraphs = tb.tableVector(model.subgraphs.map((g) => tb.subgraph(g)));
  const description = tb.string(model.description);
  const metadata = tb.tableVector(model.metadata.map((m) => {
    const name = tb.string(m.name);
    b.startObject(2);
    b.addFieldOffset(Slot.Metadata.name, name, 0);
    b.addFieldInt32(Slot.Metadata.buffer, m.buffer, 0);
    return b.endObject();
  }));
  const signatures = tb.tableVector(model.signatureDefs.map((s) => {
    const inputs = tb.tableVector(s.inputs.map((m) => tb.tensorMap(m.name, m.tensorIndex)));
    const outputs = tb.tableVector(s.outputs.map((m) => tb.tensorMap(m.name, m.tensorIndex)));
    const key = tb.string(s.signatureKey);
    b.startObject(5);
    b.addFieldOffset(Slot.SignatureDef.inputs, inputs, 0);
    b.addFieldOffset(Slot.SignatureDef.outputs, outputs, 0);
    b.addFieldOffset(Slot.SignatureDef.signature_key, key, 0);
    b.addFieldInt32(Slot.SignatureDef.subgraph_index, s.subgraphIndex, 0);
    return b.endObject();
  }));

  b.startObject(8);
  b.addFieldInt32(Slot.Model.version, model.version, 0);
  b.addFieldOffset(Slot.Model.operator_codes, operatorCodes, 0);
  b.addFieldOffset(Slot.Model.subgraphs, subgraphs, 0);
  b.addFieldOffset(Slot.Model.description, description, 0);
  b.addFieldOffset(Slot.Model.buffers, buffers, 0);
  if (model.metadata.length) b.addFieldOffset(Slot.Model.metadata, metadata, 0);
  if (model.signatureDefs.length) b.addFieldOffset(Slot.Model.signature_defs, signatures, 0);
  b.finish(b.endObject(), FILE_IDENTIFIER);
  return b.asUint8Array().slice();
}
