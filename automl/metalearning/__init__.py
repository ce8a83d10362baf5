"""Meta-learning: dataset meta-features, the metabase of past evaluations, and warm starts from it."""
