// The wasm engine's API: what wasm_build/bindings.cpp exports through Embind, with the error handling
// of wasm_build/post.js. Built as build/<dir>/cnn_engine_st.js (any page) and cnn_engine_mt.js
// (pthreads, cross-origin-isolated pages); both export the same API.
//
// Kept true by tests/js/dts.test.js: every name declared here exists on the built module and in
// bindings.cpp, and every name they export is declared here.
//
// Conventions:
// - JSON crosses as text (parse it with JSON.parse); arrays cross as copies (typed arrays).
// - Every method, constructor and module function throws an Error with the engine's message when the
//   engine refuses (post.js turns the engine's error values into exceptions). Nothing is thrown
//   through wasm frames, so a failing call leaks nothing.
// - Handles (Dataset, Model, Training, Optimizer) live in the wasm heap: call delete() when done.

declare function createCnnEngine(options?: createCnnEngine.ModuleOptions): Promise<createCnnEngine.CnnEngine>;
export = createCnnEngine;

declare namespace createCnnEngine {
  /** Emscripten's module options (the ones the page, the worker and the tests use). */
  interface ModuleOptions {
    /** The .wasm file's bytes (Node, or a worker that fetched them itself). */
    wasmBinary?: ArrayBuffer | Uint8Array;
    /** Where a file the module needs (the .wasm, the pthread worker) is found. */
    locateFile?: (path: string, prefix: string) => string;
    /** The pthreads build's worker script (cnn_engine_mt.js). */
    mainScriptUrlOrBlob?: string | Blob;
    print?: (text: string) => void;
    printErr?: (text: string) => void;
  }

  /** Bytes: a Uint8Array (a Node Buffer is one), a Uint8ClampedArray or an ArrayBuffer. */
  type Bytes = Uint8Array | Uint8ClampedArray | ArrayBuffer;
  /** Numbers: a typed array or a plain array (copied in). */
  type Numbers = ArrayLike<number>;

  /** Embind's methods of every handle. */
  interface Handle {
    /** Frees the C++ object. A Model or Dataset used by a Training lives on until the Training is deleted. */
    delete(): void;
    isDeleted(): boolean;
    clone(): this;
    deleteLater(): this;
    isAliasOf(other: Handle): boolean;
  }

  /** The module. */
  interface CnnEngine {
    Dataset: DatasetConstructor;
    Model: ModelConstructor;
    Training: TrainingConstructor;
    Optimizer: OptimizerConstructor;
    /**
     * A model file (a saved model or a checkpoint, from the page or `cnn train`) as a Model, with its
     * preprocessing and metrics. A checkpoint loads as its model; Training.restore continues its run.
     */
    loadModel(bytes: Bytes): Model;
    /**
     * JSON text: the file's sections without the weights (src/io/serialize.h model_file_info):
     * {architecture, preprocess?, metrics?, train_config?, param_count, has_training,
     *  training?: {config, iteration, epoch, status, message, history}}.
     */
    modelFileInfo(bytes: Bytes): string;
    /** JSON text {simd, threads, version, hardware_concurrency?, engine_threads?}. */
    buildInfo(): string;
    /** Threads the kernels use (the pthreads build; a no-op in the single-threaded one). */
    setThreads(n: number): void;
    /**
     * The message of the last call's error, "" when none (cleared when read). post.js calls it after
     * every entry point; code using the module needs it only to bypass post.js.
     */
    takeError(): string;
    /**
     * JSON text {arena, in_use, free}: the allocator's bytes (dlmalloc's mallinfo), not the size of the
     * wasm memory, which only grows. scripts/soak.js checks that in_use stays flat.
     */
    heapStats(): string;
  }

  interface DatasetConstructor {
    /**
     * n images of c x h x w uint8 pixels (NCHW, n*c*h*w bytes) and n uint8 labels in [0, numClasses).
     */
    new (pixels: Bytes, labels: Bytes, n: number, c: number, h: number, w: number, numClasses: number): Dataset;
  }

  interface Dataset extends Handle {
    /** The number of images. */
    size(): number;
    /** [c, h, w]. */
    shape(): number[];
    numClasses(): number;
    /** Image i as c*h*w floats, pixel / 255. */
    image(i: number): Float32Array;
    label(i: number): number;
    /** count images held out (chosen by seed) as validation; both new Datasets must be deleted. */
    split(count: number, seed: number): { train: Dataset; validation: Dataset };
  }

  interface ModelConstructor {
    /** A model from its JSON description (README "Model descriptions"), freshly initialized. */
    new (json: string): Model;
  }

  interface Model extends Handle {
    /** JSON text: {name, layers: [{name, type, shape, params, macs, inputs, config, note?}], total_params, total_macs}. */
    summary(): string;
    /**
     * JSON text: one entry per layer, the input first: {name, type, shape, params, macs, inputs, config,
     * param_shapes: [{name, shape}], buffer_shapes: [{name, shape}]}. getParam(`${layer}.${param}`) reads a parameter.
     */
    layerInfo(): string;
    /** JSON text of the architecture (rebuilds the same model). */
    description(): string;
    paramCount(): number;
    /** Multiply-accumulates per image. */
    macs(): number;
    /** The raw output of a batch (a copy); training: dropout and batch statistics on. */
    forward(input: Numbers, batch: number, training: boolean): Float32Array;
    /**
     * Softmax probabilities (batch x classes) in inference mode; input = pixels / 255 in [0, 1], the
     * model's preprocessing applied.
     */
    predict(input: Numbers, batch: number): Float32Array;
    /** JSON text of Evaluation::to_json(true): {count, loss, accuracy, confusion, per_class, wrong, predicted}. */
    evaluate(dataset: Dataset, batch: number): string;
    /**
     * One training step on a batch (src/train/train_step.h); returns the loss (with the l1/l2 penalty).
     * opts.optimizer: an optimizer configuration as the Training's "optimizer" takes it ({type: "adam",
     * ...}, src/train/optim/optimizer.h); plain SGD when absent. The optimizer and its state are kept
     * between calls while the configuration stays the same (compared as JSON) and built afresh when it
     * changes. opts.lr sets its current rate on every call (default: the configuration's lr, 0.01 for
     * plain SGD). opts.loss: "softmax_cross_entropy" (default) | "hinge"; opts.l1, opts.l2: the
     * penalty's coefficients (0). Every layer's gradient is left for gradient().
     */
    trainStep(input: Numbers, labels: Numbers, batch: number, opts: TrainStepOptions): number;
    /**
     * trainStep without the update: zeroes the gradients, runs forward (opts.training, default true:
     * dropout and batch statistics on, as in trainStep), the loss and backward; returns the loss (with
     * the penalty). The weights stay; every layer's gradient is left for gradient(). opts: loss, l1, l2
     * as for trainStep.
     */
    backward(
      input: Numbers,
      labels: Numbers,
      batch: number,
      opts: { loss?: string; l1?: number; l2?: number; training?: boolean },
    ): number;
    /**
     * The gradient check, entry by entry (src/train/gradcheck.h gradient_entries): one backward, then for
     * about opts.entries (20) evenly spaced entries of each parameter the central difference of the
     * float32 loss with step opts.h (1e-3). opts.training (false): the forward passes' mode; opts.loss as
     * for trainStep; opts.param: only that parameter; opts.scale {param, factor}: that parameter's
     * analytic gradient times factor before the comparison (a deliberately broken backward). JSON text
     * {loss, h, loss_noise, quotient_noise, params: [{name, shape, entries: [{index, analytic, numeric,
     * left, right, rel, kink}]}]}: rel = |a - n| / max(|a|, |n|) (0 when both are 0), kink: the
     * one-sided quotients left and right disagree (the slope changes within the step); loss_noise: the
     * float32 loss's rounding noise (rms, measured), quotient_noise: the central difference's.
     */
    gradientCheck(
      input: Numbers,
      labels: Numbers,
      batch: number,
      opts: {
        loss?: string;
        entries?: number;
        h?: number;
        training?: boolean;
        param?: string;
        scale?: { param: string; factor: number };
      },
    ): string;
    /**
     * JSON text {batch, steps, step_ms, layers: [{name, type, macs, forward_ms, backward_ms}]}: where a
     * training step's time goes, measured for about `seconds` (src/train/profile.h).
     */
    profile(input: Numbers, labels: Numbers, batch: number, seconds: number): string;
    /** JSON text [{name, shape}] of the parameters. */
    paramNames(): string;
    /** A parameter or buffer by its qualified name "<layer>.<param>" (a copy). */
    getParam(name: string): Float32Array;
    setParam(name: string, data: Numbers): void;
    /** A layer's output of the last forward or predict (a copy). */
    activation(name: string): { shape: number[]; data: Float32Array };
    /**
     * dL/d(the layer's output) of the last backward pass (trainStep or backward; a copy), shaped like the
     * layer's activation for that batch: [batch, ...]. For the last layer it is the loss gradient, e.g.
     * (softmax - one-hot) / batch. Throws for an unknown name, for "input" (no gradient flows to the
     * data), before any backward pass, and for a layer that does not lead to the output.
     */
    gradient(name: string): { shape: number[]; data: Float32Array };
    /** JSON text of the fitted preprocessing, "null" when none. */
    preprocess(): string;
    /** A fitted state (another model's preprocess()), "null" for none. */
    setPreprocess(json: string): void;
    /** JSON text of the "metrics" saved with the model ({history, ...}), "null" when none. */
    metrics(): string;
    /**
     * A model file: the architecture, weights, "preprocess", "metrics", then the keys of the JSON object
     * extraJson ("" for none), which win.
     */
    save(extraJson: string): Uint8Array;
    /**
     * The inference graph as ONNX bytes (opset 13), as `cnn export-onnx` writes it: input "input"
     * [N, C, H, W] raw pixels in [0, 1] with the model's preprocessing in the graph, output "logits";
     * foldBatchnorm folds batch norms that follow a conv/dense layer into its weights.
     */
    exportOnnx(foldBatchnorm: boolean): Uint8Array;
    /**
     * A new Model for inference (delete it too) in which every batch norm that directly follows a conv2d
     * or dense layer (its only consumer) is folded into that layer's weights and bias
     * (w' = w·γ/√(var+ε), b' = (b − mean)·γ/√(var+ε) + β); the preprocessing and metrics are copied.
     */
    foldBatchnorm(): Model;
  }

  /** Model.trainStep's options. */
  interface TrainStepOptions {
    lr?: number;
    loss?: string;
    l1?: number;
    l2?: number;
    /** An optimizer configuration object, e.g. {type: "adam", beta1: 0.9} or {type: "sgd", momentum: 0.9}. */
    optimizer?: object | string;
  }

  interface TrainingConstructor {
    /**
     * configJson: TrainConfig's JSON (src/train/trainer.h) plus "preprocess": "standardize" (the
     * default: per-channel mean and std fitted on train) | "none" | an object (preprocess.h
     * fit_preprocess). The preprocessing is set on the model. The Training shares ownership of the
     * model and the datasets: deleting them in JS while it lives is safe.
     */
    new (model: Model, train: Dataset, validation: Dataset | null, configJson: string): Training;
  }

  interface Training extends Handle {
    /**
     * Trains for up to maxSteps iterations (no limit when <= 0) or maxMillis ms (checked after each
     * iteration; no limit when <= 0), or until training ends. JSON text {iteration, total_iterations,
     * epoch, epochs, iterations_per_epoch, loss, smoothed_loss, lr, images_per_s, eta_seconds, status,
     * message, losses: [this call's iterations], epochs_done: [the EpochRecords of epochs that ended]}.
     */
    run(maxSteps: number, maxMillis: number): string;
    /** JSON text [EpochRecord]. */
    history(): string;
    /** "running" | "finished" | "early_stopped" | "diverged". */
    status(): string;
    message(): string;
    /** A model file with "training" and "train_config": loadModel loads it, restore resumes it bit for bit. */
    checkpoint(): Uint8Array;
    /** Continues from a checkpoint of the same training configuration; all or nothing. */
    restore(bytes: Bytes): void;
    /** JSON text like Model.evaluate, with the training's loss. */
    evaluate(dataset: Dataset): string;
  }

  interface OptimizerConstructor {
    /**
     * One of the engine's optimizers on a vector of numbers (src/train/optim/vector_optimizer.h), for
     * loss surfaces: configJson as the Training's "optimizer" takes it ('{"type": "sgd", "lr": 0.05,
     * "momentum": 0.9}'; sgd, adagrad, adadelta, rmsprop, adam, radam, lookahead), checked with the
     * same messages. The vector is a weight: "weight_decay" applies to it.
     */
    new (configJson: string): Optimizer;
  }

  interface Optimizer extends Handle {
    /**
     * One update: the new params (a copy; params itself is not changed) from grads of the same size.
     * The optimizer's state (momentum, moments, step count) persists between calls, as over training
     * steps; the first call fixes the size and a later call with another size throws.
     */
    step(params: Numbers, grads: Numbers): Float32Array;
    /** Sets the current learning rate (a finite number >= 0). */
    setLr(lr: number): void;
    /** The current learning rate. */
    lr(): number;
    /** JSON text of the configuration with every option filled in ("lr" is the configured rate). */
    config(): string;
  }
}
