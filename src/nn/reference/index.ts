// Plain TypeScript reference of every form-scorer kernel: the test oracle for the
// WebAssembly engine (llm.c style: one xxxForward / xxxBackward per layer over flat
// row-major buffers, Float32Array or Float64Array).
//
// Conventions
// - Activations channel-last (B, T, C). Weights in Keras layout, as in WEIGHT_SPECS:
//   Conv1D kernel (K, C, OC); Dense kernel (C, OC); LSTM kernel (C, 4H), recurrent (H, 4H),
//   bias (4H) with gates [i, f, c(g), o] on the last axis; sigmoid recurrent activation.
// - Forward kernels OVERWRITE their outputs. Backward kernels ACCUMULATE (+=) into every
//   gradient buffer (dinp, dweight, dbias): zero them before a step. A null dinp skips
//   the input gradient (first layer).
// - Activation derivatives are taken from the forward OUTPUT (ReLU: out > 0; sigmoid:
//   out·(1−out)), so the caller keeps the outputs, not the pre-activations.
//
// Kernels (file: signature; shapes)
// layers.ts
//   conv1dForward(out, inp, weight, bias, B, T, C, OC, K, relu)        inp (B,T,C) -> out (B,T,OC); same padding:
//                                                                       floor((K-1)/2) zeros before; stride 1
//   conv1dBackward(dinp|null, dweight, dbias, dout, inp, weight, out, B, T, C, OC, K, relu)
//   maxPool1dForward(out, argmax:Int32Array, inp, B, T, C, P)           (B,T,C) -> (B,floor(T/P),C); first max wins
//   maxPool1dBackward(dinp, dout, argmax, nOut)                         dinp[argmax[i]] += dout[i]
//   dropoutMask(mask, n, rate, rng: Random)                             mask[i] = rng.next() >= rate ? 1/(1-rate) : 0
//   dropoutForward(out, inp, mask, n) / dropoutBackward(dinp, dout, mask, n)
//   denseForward(out, inp, weight, bias, B, C, OC, act)                 act 'linear' | 'relu' | 'sigmoid'
//   denseBackward(dinp|null, dweight, dbias, dout, inp, weight, out, B, C, OC, act)
//   mseLoss(dpred|null, pred, target, N, K) -> { loss, mae }            loss = mean over N·K; dpred = 2(pred−y)/(N·K)
//   adamUpdate(w, g, m, v, n, lr, step, beta1=0.9, beta2=0.999, eps=1e-7)
//                                                                       step counts from 1; Keras/TF form:
//                                                                       lr_t = lr·sqrt(1−β2^t)/(1−β1^t); w −= lr_t·m/(sqrt(v)+ε)
// lstm.ts
//   lstmForward(cache, inp, kernel, recurrent, bias, B, T, C, H, reverse)
//       inp (B,T,C) -> cache.gates (B,T,4H) activated [i,f,g,o], cache.c (B,T,H), cache.h (B,T,H)
//       reverse consumes t = T-1…0 but stores results at index t (Keras backward direction, re-reversed)
//   lstmBackward(dinp|null, dkernel, drecurrent, dbias, dh (B,T,H), cache, inp, kernel, recurrent, B, T, C, H, reverse)
//   biLstmForward(out, cache, inp, fw, bw, B, T, C, H, returnSequences)
//       out (B,T,2H) = [h_fwd[t], h_bwd[t]], or (B,2H) = [h_fwd[T-1], h_bwd[0]] without sequences
//   biLstmBackward(dinp|null, dfw, dbw, dout, cache, inp, fw, bw, B, T, C, H, returnSequences)
// network.ts: walks NETWORK (architecture.ts), one forward and one backward per layer kind
//   networkForward(weights, x, n, { dtype, training, seed | rng, masks }) -> NetworkActivations
//       (x, scores and per layer, indexed like NETWORK, its output and cache: pool argmax,
//       dropout mask, BiLstmCache); dropout at each layer's declared rate, masks from one
//       Random(seed) drawn in network order (drop1's B·45·64 draws, then drop2's B·128);
//       or masks: { drop1, drop2 } given (e.g. the engine's), which implies training
//   networkBackward(acts, dscores) -> { grads: WeightMap (WEIGHT_SPECS names), dx }
//   networkLossAndGrads(weights, x, y, n, opts) -> { loss, mae, scores, grads, dx }
//   dropoutMasksOf(acts) -> { drop1, drop2 }, the masks a training pass used
//   referenceForward(weights: NamedWeights, x: Float32Array, n) -> Float32Array (N,6), float32, no dropout

export * from './buffers.js';
export * from './layers.js';
export * from './lstm.js';
export * from './network.js';
