"""Generated wire contract; see scripts/gen_protos.py."""
