#!/usr/bin/env python3
"""The side-by-side anchors of `formscore bench --compare`: the form-scorer network
(DESIGN.md: Conv1D(64,5) -> Conv1D(64,3) -> MaxPool(2) -> Dropout(0.3) -> BiLSTM(64, seq)
-> BiLSTM(64, last) -> Dense(128, relu) -> Dropout(0.3) -> Dense(6, sigmoid), MSE, Adam)
trained on random data of the real shapes in PyTorch or Keras 3 on TensorFlow, with the
same batch, thread count and step counts as formscore's own bench.

    python3 scripts/anchors.py torch|tensorflow --threads 2 --batch 64 --steps 30 --warmup 5

Prints one JSON line: {"framework", "version", "train_samples_per_s", "threads", "batch", "steps"}.
Needs torch or tensorflow installed (for example in a venv); formscore itself never imports
either: they are only measured.
"""
import argparse
import json
import os
import time

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("framework", choices=["torch", "tensorflow"])
p.add_argument("--threads", type=int, default=2)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--steps", type=int, default=30)
p.add_argument("--warmup", type=int, default=5)
a = p.parse_args()
T, C, S = 90, 18, 6


def torch_run():
    import torch
    from torch import nn

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)

    class Scorer(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv1d(C, 64, 5, padding=2)
            self.conv2 = nn.Conv1d(64, 64, 3, padding=1)
            self.drop = nn.Dropout(0.3)
            self.lstm1 = nn.LSTM(64, 64, batch_first=True, bidirectional=True)
            self.lstm2 = nn.LSTM(128, 64, batch_first=True, bidirectional=True)
            self.dense1 = nn.Linear(128, 128)
            self.scores = nn.Linear(128, S)

        def forward(self, x):  # x (B, 90, 18)
            h = torch.relu(self.conv1(x.transpose(1, 2)))
            h = torch.relu(self.conv2(h))
            h = self.drop(nn.functional.max_pool1d(h, 2)).transpose(1, 2)  # (B, 45, 64)
            h, _ = self.lstm1(h)  # (B, 45, 128)
            _, (hn, _) = self.lstm2(h)  # hn (2, B, 64): forward last, backward first
            h = torch.cat([hn[0], hn[1]], dim=1)
            h = self.drop(torch.relu(self.dense1(h)))
            return torch.sigmoid(self.scores(h))

    model = Scorer()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    x = torch.rand(a.batch, T, C) * 2 - 1
    y = torch.rand(a.batch, S)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    return torch.__version__, time.perf_counter() - t0


def tensorflow_run():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf
    import keras
    from keras import layers

    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(a.threads)
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((T, C)),
        layers.Conv1D(64, 5, padding="same", activation="relu"),
        layers.Conv1D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling1D(2),
        layers.Dropout(0.3),
        layers.Bidirectional(layers.LSTM(64, return_sequences=True)),
        layers.Bidirectional(layers.LSTM(64)),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.3),
        layers.Dense(S, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (a.batch, T, C)).astype("float32")
    y = rng.uniform(0, 1, (a.batch, S)).astype("float32")
    for _ in range(a.warmup):
        model.train_on_batch(x, y)
    t0 = time.perf_counter()
    for _ in range(a.steps):
        model.train_on_batch(x, y)
    return tf.__version__, time.perf_counter() - t0


version, seconds = torch_run() if a.framework == "torch" else tensorflow_run()
print(json.dumps({
    "framework": a.framework, "version": version,
    "train_samples_per_s": round(a.steps * a.batch / seconds),
    "threads": a.threads, "batch": a.batch, "steps": a.steps,
}))
