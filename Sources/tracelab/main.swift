print("tracelab")
