"""Runs the openai-cookbook's api_request_parallel_processor.py, unchanged, against an http:// endpoint.

The script's api_endpoint_from_url() only accepts https:// URLs (its regex), and the simulator serves plain HTTP on
loopback. This runner loads the script as a module (so its __main__ block does not run), replaces that one function
with one that also accepts http://, and then does what the script's __main__ block does with the same arguments.
Everything else (reading, token counting with tiktoken, throttling, aiohttp calls, retries, writing) is the script's.

  python cookbook-runner.py SCRIPT.py --requests_filepath ... --save_filepath ... --request_url http://.../v1/chat/completions ...
"""
import argparse
import asyncio
import importlib.util
import logging
import os
import re
import sys

script = sys.argv[1]
spec = importlib.util.spec_from_file_location("api_request_parallel_processor", script)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)


def api_endpoint_from_url(request_url):
    match = re.search(r"^https?://[^/]+/v\d+/(.+)$", request_url)
    return match[1]


module.api_endpoint_from_url = api_endpoint_from_url

# The script's own __main__ block, same arguments and defaults.
parser = argparse.ArgumentParser()
parser.add_argument("--requests_filepath")
parser.add_argument("--save_filepath", default=None)
parser.add_argument("--request_url", default="https://api.openai.com/v1/embeddings")
parser.add_argument("--api_key", default=os.getenv("OPENAI_API_KEY"))
parser.add_argument("--max_requests_per_minute", type=int, default=3_000 * 0.5)
parser.add_argument("--max_tokens_per_minute", type=int, default=250_000 * 0.5)
parser.add_argument("--token_encoding_name", default="cl100k_base")
parser.add_argument("--max_attempts", type=int, default=5)
parser.add_argument("--logging_level", default=logging.INFO)
args = parser.parse_args(sys.argv[2:])
if args.save_filepath is None:
    args.save_filepath = args.requests_filepath.replace(".jsonl", "_results.jsonl")
asyncio.run(
    module.process_api_requests_from_file(
        requests_filepath=args.requests_filepath,
        save_filepath=args.save_filepath,
        request_url=args.request_url,
        api_key=args.api_key,
        max_requests_per_minute=float(args.max_requests_per_minute),
        max_tokens_per_minute=float(args.max_tokens_per_minute),
        token_encoding_name=args.token_encoding_name,
        max_attempts=int(args.max_attempts),
        logging_level=int(args.logging_level),
    )
)
