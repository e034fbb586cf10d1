"""The optimization itself, as plain Python with no pytest import: evaluating candidates
in child processes, the Trace engine, the prompts, acceptance, the round loop,
checkpoints and the session that turns them into one result."""
