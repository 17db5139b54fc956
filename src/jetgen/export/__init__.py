"""Exports of one-step models to runtimes without torch (ONNX)."""
