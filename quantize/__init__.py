"""int8 conversion, TFLite-Micro verification and C-array export of a trained model dir.

The `gaitnode quantize heel-strike` step, one job per module:

* convert.py (+ convert_child.py): model.keras -> model_float.tflite and full-integer
  model_int8.tflite, batch 1, one fused UNIDIRECTIONAL_SEQUENCE_LSTM op per LSTM layer; the
  TFLite converter runs in a child process so that its crashes become errors.
* tflite_model.py: read a .tflite flatbuffer (ops, tensors, LSTM intermediates).
* tensor_check.py: the int8 model is integer-only (int8/int16/int32 tensors).
* tflm_check.py: load and run it in the real TFLite-Micro interpreter, measure its tensor arena,
  compare outputs.
* runners.py: Keras / LiteRT / TFLM behind one `predict(windows) -> probabilities`.
* op_resolver.py: TFLite op names -> tflite::MicroMutableOpResolver methods.
* c_export.py: the model as a C array plus the generated config header for the firmware.
* quantizer.py: `Quantizer`, all of the above in one run, writing quantize.json.
"""
